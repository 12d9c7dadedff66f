using Microsoft.ML;
using Microsoft.ML.Data;

namespace Microsoft.ML.PromptLearning.Tests.MLNet;

/// <summary>
/// One fitted transformer shared by many threads: <c>Transform</c> on separate views, one <c>PredictionEngine</c> per thread
/// (as ML.NET prescribes: an engine itself is not thread-safe) and <c>PredictProbabilities</c> give exactly the
/// single-thread scores, with TorchSharp and with the ONNX Runtime engine.
/// </summary>
public class ConcurrentScoringTests
{
    private sealed class Prediction
    {
        public float[] Score { get; set; }
        public uint PredictedLabel { get; set; }
    }

    [Theory]
    [InlineData(ScoringEngine.TorchSharp)]
    [InlineData(ScoringEngine.OnnxRuntime)]
    public void ThreadsSharingOneModelGetTheSingleThreadScores(ScoringEngine scoringEngine)
    {
        var ml = new MLContext(seed: 1);
        var rows = TinyTask.Rows(12, seed: 21);
        var (train, keyMap) = TinyTask.Load(ml, rows);
        var options = new PromptErnieTrainer.Options
        {
            ModelPath = TestPaths.Fixture("tiny-ernie"), Prompt = "{'soft':'主题'}{'text':'text_a'}{'mask'}", MaxSteps = 20, MaxSequenceLength = 32,
            LabelWords = new Dictionary<string, string[]> { ["教育"] = ["教育"], ["经济"] = ["经济"], ["体育"] = ["体育"] }, LoggingSteps = 0, Seed = 3,
        };
        using var prompt = ml.MulticlassClassification.Trainers.PromptErnie(options).Fit(train);
        prompt.ScoringEngine = scoringEngine;   // the ONNX Runtime session is built by whichever thread scores first
        var model = keyMap.Append(prompt);
        var texts = rows.Select(r => r.Text).ToList();
        float[][] expected;
        using (var reference = ml.MulticlassClassification.Trainers.PromptErnie(options).Fit(train))
        {
            reference.ScoringEngine = scoringEngine;
            expected = reference.PredictProbabilities(texts);   // a twin model, so the shared one's session starts under contention
        }

        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var threads = Enumerable.Range(0, 6).Select(k => new Thread(() =>
        {
            try
            {
                for (int round = 0; round < 3; round++)
                {
                    var view = ml.Data.LoadFromEnumerable(rows);   // each thread its own view
                    var scores = model.Transform(view).GetColumn<float[]>("Score").ToList();
                    var engine = ml.Model.CreatePredictionEngine<TinyTask.Row, Prediction>(model);   // one engine per thread
                    var direct = prompt.PredictProbabilities(texts);
                    for (int i = 0; i < texts.Count; i++)
                    {
                        if (!scores[i].SequenceEqual(expected[i])) failures.Add($"thread {k}: Transform row {i}");
                        if (!direct[i].SequenceEqual(expected[i])) failures.Add($"thread {k}: PredictProbabilities row {i}");
                        var one = engine.Predict(rows[i]).Score;
                        if (one.Zip(expected[i]).Any(p => Math.Abs(p.First - p.Second) > 1e-5)) failures.Add($"thread {k}: PredictionEngine row {i}");
                    }
                }
            }
            catch (Exception e) { failures.Add($"thread {k}: {e.GetType().Name}: {e.Message}"); }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(10)));
    }
}
