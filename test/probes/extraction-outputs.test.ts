// What the model's answers reveal, as the extraction and membership probes record it.
import { classifyOutputs } from "../../src/probes/privacy/extraction";
import type { ProbeModel } from "../../src/probes/model";

function model(extra: Partial<ProbeModel> = {}): ProbeModel {
  return { format: "http", inputShape: [2], inputSize: 2, numClasses: 3, labelsOnly: false, queries: 0, predict: () => Promise.resolve(new Float32Array(0)), dispose: () => undefined, ...extra };
}

describe("classifyOutputs", () => {
  it("reads full-width scores: logits, probabilities (exact zeros included), one-hot labels", () => {
    expect(classifyOutputs(model(), Float32Array.from([2, -1, 0.5, 0.1, 3, -2]), 2)).toEqual({ outputs: "logits" });
    expect(classifyOutputs(model(), Float32Array.from([0.2, 0.7, 0.1, 0.3, 0.3, 0.4]), 2)).toEqual({ outputs: "probabilities" });
    // A random forest's predict_proba: zeros where no tree voted, not a top-k answer.
    expect(classifyOutputs(model(), Float32Array.from([0, 0.8, 0.2, 0.5, 0.5, 0]), 2)).toEqual({ outputs: "probabilities" });
    expect(classifyOutputs(model(), Float32Array.from([0, 1, 0, 1, 0, 0]), 2)).toEqual({ outputs: "labels" });
  });

  it("takes labels-only and top-k from the loader, which knows what the endpoint answered", () => {
    expect(classifyOutputs(model({ labelsOnly: true }), Float32Array.from([0, 1, 0]), 1)).toEqual({ outputs: "labels" });
    expect(classifyOutputs(model({ topK: 2 }), Float32Array.from([0.6, 0.3, 0.1]), 1)).toEqual({ outputs: "top-k", topK: 2 });
    // k as large as the class count is a full answer.
    expect(classifyOutputs(model({ topK: 3 }), Float32Array.from([0.6, 0.3, 0.1]), 1)).toEqual({ outputs: "probabilities" });
  });
});
