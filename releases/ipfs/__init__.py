"""IPFS for the hub's public content: each blob's block index (`blocks`) and a trustless
gateway (`views`) that serves those blocks and CARs at `/ipfs/<cid>`."""

from releases.ipfs.views import gateway

__all__ = ["gateway"]
