# pragma version ~=0.4.3
"""
@title Stand-in for the OpenGradient inference contract, for the tests
@notice Same ABI as the network's contract: run(string, uint8, ModelInput) emitting
        InferenceResult(ModelOutput). It cannot run models: it answers with the input's number
        tensors (each value doubled) and string tensors, plus a JSON entry naming the model and
        mode, so a test can check encoding and decoding end to end.
"""

struct TensorValue:
    value: int128
    decimals: int128

struct NumberTensor:
    name: String[64]
    values: DynArray[TensorValue, 256]
    shape: DynArray[uint32, 8]

struct StringTensor:
    name: String[64]
    values: DynArray[String[128], 32]

struct ModelInput:
    numbers: DynArray[NumberTensor, 8]
    strings: DynArray[StringTensor, 4]

struct JsonScalar:
    name: String[64]
    value: String[256]

struct ModelOutput:
    numbers: DynArray[NumberTensor, 8]
    strings: DynArray[StringTensor, 4]
    jsons: DynArray[JsonScalar, 4]
    is_simulation_result: bool

event InferenceResult:
    output: ModelOutput


@external
def run(modelId: String[128], inferenceMode: uint8, modelInput: ModelInput) -> ModelOutput:
    assert len(modelId) > 0, "model id is empty"
    assert inferenceMode <= 2, "unknown inference mode"
    assert inferenceMode != 1 or len(modelInput.strings) == 0, "ZKML takes numbers only"
    numbers: DynArray[NumberTensor, 8] = []
    for tensor: NumberTensor in modelInput.numbers:
        doubled: DynArray[TensorValue, 256] = []
        for v: TensorValue in tensor.values:
            doubled.append(TensorValue(value=v.value * 2, decimals=v.decimals))
        numbers.append(NumberTensor(name=tensor.name, values=doubled, shape=tensor.shape))
    jsons: DynArray[JsonScalar, 4] = [JsonScalar(name="model", value=modelId)]
    output: ModelOutput = ModelOutput(
        numbers=numbers, strings=modelInput.strings, jsons=jsons, is_simulation_result=False
    )
    log InferenceResult(output=output)
    return output
