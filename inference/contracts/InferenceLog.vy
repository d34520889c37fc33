# pragma version ~=0.4.3
"""
@title Model hub test-inference log
@notice A plain EVM cannot run an ONNX model, so the hub runs it off chain and records here
        what was run and what came out: the model's Blob ID, the inference mode, and the
        sha256 of the canonical input and output. Each hub job is recorded once.
"""

event InferenceRecorded:
    submitter: indexed(address)
    job: indexed(bytes32)
    model_id: String[128]
    mode: uint8
    input_sha256: bytes32
    output_sha256: bytes32

# hub job key => sha256 of the recorded output (empty while the job is not recorded)
recorded: public(HashMap[bytes32, bytes32])
count: public(uint256)


@external
def record(job: bytes32, model_id: String[128], mode: uint8,
           input_sha256: bytes32, output_sha256: bytes32):
    assert len(model_id) > 0, "model id is empty"
    assert mode <= 2, "unknown inference mode"
    assert output_sha256 != empty(bytes32), "output hash is empty"
    assert self.recorded[job] == empty(bytes32), "job already recorded"
    self.recorded[job] = output_sha256
    self.count += 1
    log InferenceRecorded(submitter=msg.sender, job=job, model_id=model_id, mode=mode,
                          input_sha256=input_sha256, output_sha256=output_sha256)
