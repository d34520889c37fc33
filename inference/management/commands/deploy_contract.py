from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from inference import chain


class Command(BaseCommand):
    help = (
        "Compile the hub's inference contract (Vyper) from source and deploy it on the chain "
        "at CHAIN_RPC_URL; its address and ABI are kept in DATA_DIR/chain/deployment.json, "
        "where the workers read them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-needed",
            action="store_true",
            help="Deploy only when the recorded address holds no contract on this chain.",
        )
        parser.add_argument(
            "--write-abi",
            action="store_true",
            help="Only write the ABI compiled from source to the committed "
            f"{chain.HUB_ABI_FILE.name} next to it (after changing the contract).",
        )

    def handle(self, *args, if_needed: bool, write_abi: bool, **options):
        if write_abi:
            self.stdout.write(f"Wrote {chain.write_hub_abi()}.")
            return
        if settings.CHAIN_BACKEND != "local":
            raise CommandError("deploy_contract is for CHAIN_BACKEND=local.")
        w3 = chain.web3()
        try:
            chain_id = w3.eth.chain_id
        except chain.TRANSIENT_ERRORS as exc:
            raise CommandError(
                f"The chain at {settings.CHAIN_RPC_URL} is unreachable: {exc}"
            ) from None
        current = chain.read_deployment()
        same_chain = current and current.get("chain_id") == chain_id
        if if_needed and same_chain and w3.eth.get_code(current["address"]):
            self.stdout.write(f"Contract already deployed at {current['address']}.")
            return
        account = chain.signing_account()
        address, block = chain.deploy(w3, account, chain.HUB_CONTRACT)
        abi = chain.compile_vyper(chain.HUB_CONTRACT)["abi"]  # compiled once, for deploy
        chain.write_deployment(
            {"chain_id": chain_id, "address": address, "block": block, "abi": abi}
        )
        self.stdout.write(
            self.style.SUCCESS(f"Deployed InferenceLog at {address} (block {block}).")
        )
