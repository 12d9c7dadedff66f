using System.Text.Json;
using Microsoft.ML.PromptLearning.SelfTraining;

namespace Microsoft.ML.PromptLearning.Onnx;

/// <summary>
/// An ensemble exported to ONNX as a set of graphs plus the combiner: one <c>memberNNN.onnx</c> per member (each scores on
/// its own with <see cref="OnnxPredictor"/>) and <c>ensemble.json</c> with the labels and each member's file and weight. The
/// ensemble's probabilities are the weighted mean of the members' probabilities, as in <see cref="ErnieEnsembleTransformer"/>.
/// </summary>
public sealed class OnnxEnsemble : IDisposable
{
    /// <summary>The combiner file in an exported ensemble folder.</summary>
    public const string ManifestFile = "ensemble.json";

    private sealed record Manifest(string[] Labels, Member[] Members);
    private sealed record Member(string File, double Weight);

    private readonly OnnxPredictor[] predictors;
    private readonly double[] weights;

    /// <summary>Opens an exported ensemble folder (as written by <see cref="Export"/>).</summary>
    public OnnxEnsemble(string directory, OnnxPredictorOptions options = null)
    {
        var path = Path.Combine(directory, ManifestFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"'{directory}' is not an exported ensemble: it has no {ManifestFile}.", path);
        Manifest manifest;
        try { manifest = JsonSerializer.Deserialize<Manifest>(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"'{path}' is not a valid ensemble manifest: {e.Message}", e); }
        if (manifest?.Members is not { Length: > 0 } || manifest.Labels is null) throw new InvalidDataException($"'{path}' lists no members or labels.");
        Labels = manifest.Labels;
        weights = manifest.Members.Select(m => m.Weight).ToArray();
        predictors = manifest.Members.Select(m => new OnnxPredictor(Path.Combine(directory, m.File), options)).ToArray();
    }

    /// <summary>Class names in score order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The weighted mean of the members' class probabilities for each text.</summary>
    public float[][] PredictProbabilities(IReadOnlyList<string> texts, IReadOnlyList<string> textPairs = null) =>
        TeacherEnsemble.Combine(predictors.Select(p => p.PredictProbabilities(texts, textPairs)).ToList(), weights);

    /// <summary>Writes every member of <paramref name="ensemble"/> and the manifest into <paramref name="directory"/> (each file atomically).</summary>
    public static void Export(ErnieEnsembleTransformer ensemble, string directory, OnnxExportOptions options = null)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        Directory.CreateDirectory(directory);
        var members = new List<Member>();
        for (int i = 0; i < ensemble.Members.Count; i++)
        {
            var file = $"member{i:D3}.onnx";
            ensemble.Members[i].ExportToOnnx(Path.Combine(directory, file), options);
            members.Add(new Member(file, ensemble.Weights[i]));
        }
        AtomicFile.WriteAllText(Path.Combine(directory, ManifestFile),
            JsonSerializer.Serialize(new Manifest(ensemble.LabelNames.ToArray(), members.ToArray()), new JsonSerializerOptions
            {
                WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            }));
    }

    /// <summary>Releases the ONNX Runtime sessions.</summary>
    public void Dispose()
    {
        foreach (var p in predictors) p.Dispose();
    }
}
