"""Demo content for an empty hub: a demo account and a handful of realistic public models."""

VOLATILITY = """# ETH/USDT 1-hour volatility forecaster

Forecasts the **realized volatility of ETH/USDT over the next hour** from the last ten
OHLC candles. Trained on 2021–2024 Binance 1-minute data resampled to 1-hour candles.

## Inputs

| name | type | shape | description |
|------|------|-------|-------------|
| `open_high_low_close` | float32 | `[1, 10, 4]` | the last ten 1-hour candles, oldest first |

## Outputs

| name | type | shape | description |
|------|------|-------|-------------|
| `Y` | float32 | `[1, 1]` | predicted standard deviation of 1-minute log returns |

## Usage

```python
import numpy as np
import onnxruntime as ort

session = ort.InferenceSession("model.onnx")
candles = np.random.rand(1, 10, 4).astype(np.float32)
(volatility,) = session.run(None, {"open_high_low_close": candles})
print(volatility)
```

## Evaluation

| metric | value |
|--------|-------|
| MAE    | 0.00041 |
| R²     | 0.62 |

> Not financial advice. Volatility regimes change; re-evaluate before relying on it.
"""

DIRECTION = """# BTC price direction classifier

Predicts whether BTC/USDT closes **higher or lower in 15 minutes**. A gradient-boosted tree
ensemble exported to ONNX with `skl2onnx`.

## Features

- returns over the last 1, 5, 15 and 60 minutes
- order-book imbalance at the top 10 levels
- funding rate and open-interest change

## Output

A probability for each of the classes `down` and `up`:

```json
{"label": "up", "probabilities": {"down": 0.41, "up": 0.59}}
```

## Limitations

Accuracy is 54.8% on a held-out 2024 sample, only slightly better than chance; use it as
one signal among many.
"""

RISK = """# DeFi lending risk score

Scores the **liquidation risk of a lending position** (Aave v3, Compound v3) from 0 (safe)
to 100 (about to be liquidated).

## Inputs

| feature | unit |
|---------|------|
| health factor | ratio |
| collateral volatility (7 days) | % |
| debt utilisation of the pool | % |
| collateral concentration | Herfindahl index |

## How it was trained

A logistic regression on 1.2 million positions, labelled by whether they were liquidated
within 72 hours. Calibrated with isotonic regression.

```bash
python train.py --since 2023-01-01 --horizon 72h
```
"""

LLM = """# TinyStories 33M (ONNX)

A **33-million-parameter language model** trained on the TinyStories data set and exported
to ONNX with dynamic axes for batch and sequence length.

## Prompt format

Plain text; the model continues the story.

```text
Once upon a time, there was a little robot who
```

## Performance

| hardware | tokens / s |
|----------|-----------:|
| 4-core laptop CPU | 310 |
| single A10G | 4,800 |

## License

Apache-2.0, like the original weights.
"""

IMAGE = """# Pixel-art sprite generator

A small **diffusion model** that draws 64×64 pixel-art sprites from a short text prompt.

## Example prompts

- `a knight with a blue shield`
- `a potion bottle, green, glowing`
- `a treasure chest, side view`

## Notes

The UNet, text encoder and VAE decoder are separate ONNX files. Twenty denoising steps
give good results; ten are usually enough for previews.

| component | parameters |
|-----------|-----------:|
| UNet | 86 M |
| text encoder | 63 M |
| VAE decoder | 49 M |
"""

GAS = """# Ethereum gas price forecaster

Forecasts the **base fee for the next 12 blocks** (about 2.5 minutes) so that wallets can
pick a fee that lands quickly without overpaying.

## Inputs

The base fee and gas used ratio of the last 64 blocks.

## Output

Twelve values in gwei, one per future block.

```python
forecast = model.run(None, {"history": history})[0]  # shape [1, 12]
```
"""

REPOSITORIES = [
    {
        "name": "opengradient-1-hour-volatility-ethusdt1",
        "task": "defi-forecasting",
        "license": "MIT",
        "tags": ["ethereum", "volatility", "time-series", "onnx"],
        "description": VOLATILITY,
        "releases": [
            ("minor", "Retrained on data up to June 2024.\n\n- MAE down from 0.00047 to 0.00041"),
            ("minor", "Fixed the input name to `open_high_low_close`."),
        ],
        "files": {"model.onnx": "volatility_model", "README.txt": "readme"},
    },
    {
        "name": "btc-price-direction",
        "task": "classification",
        "license": "Apache-2.0",
        "tags": ["bitcoin", "trading", "onnx", "skl2onnx"],
        "description": DIRECTION,
        "releases": [("major", "## Breaking\n\nThe output is now a probability per class.")],
        "files": {"direction.onnx": "direction_classifier"},
    },
    {
        "name": "defi-lending-risk-score",
        "task": "risk-model",
        "license": "BSD-3-Clause",
        "tags": ["defi", "aave", "compound", "risk"],
        "description": RISK,
        "releases": [("minor", "Added Compound v3 positions to the training set.")],
        "files": {"risk/score.onnx": "risk_score", "risk/features.json": "features"},
    },
    {
        "name": "tinystories-33m-onnx",
        "task": "llm",
        "license": "Apache-2.0",
        "tags": ["llm", "text-generation", "onnx"],
        "description": LLM,
        "releases": [],
    },
    {
        "name": "pixel-sprite-diffusion",
        "task": "image-generation",
        "license": "OpenRAIL-M",
        "tags": ["diffusion", "pixel-art", "onnx"],
        "description": IMAGE,
        "releases": [("minor", "Sharper outlines with the new VAE decoder.")],
    },
    {
        "name": "eth-gas-price-forecaster",
        "task": "time-series-forecasting",
        "license": "MIT",
        "tags": ["ethereum", "gas", "time-series"],
        "description": GAS,
        "releases": [],
    },
]
