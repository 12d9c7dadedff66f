using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.PromptLearning.MultiLabel;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.PromptLearning.MLNet;

/// <summary>
/// How a multi-label model turns its per-label probabilities into a label set (thresholds, then the label tree's
/// child-implies-parent rule), and how those settings travel in the model zip (<c>MultiLabel.json</c>; absent for
/// multi-class models).
/// </summary>
internal static class MultiLabelScoring
{
    private const string StreamName = "MultiLabel.json";
    private static readonly ConditionalWeakTable<ScoringSettings, LabelHierarchy> Trees = new();

    private sealed record Stored(float[] Thresholds, bool Hierarchical);

    /// <summary>The predicted label indices of one row, in class order.</summary>
    public static int[] Decide(ScoringSettings settings, float[] probabilities)
    {
        var labels = LabelThresholds.Apply(probabilities, settings.Thresholds);
        return settings.Hierarchical ? Trees.GetValue(settings, s => LabelHierarchy.Create(s.LabelNames)).Complete(labels) : labels;
    }

    public static void Save(ModelSaveContext ctx, ScoringSettings settings)
    {
        if (!settings.MultiLabel) return;
        var json = JsonSerializer.Serialize(new Stored(settings.Thresholds, settings.Hierarchical));
        ctx.SaveBinaryStream(StreamName, w => w.Write(Encoding.UTF8.GetBytes(json)));
    }

    /// <summary>The settings with the multi-label part of the zip, when it has one.</summary>
    public static ScoringSettings Load(IHostEnvironment env, ModelLoadContext ctx, ScoringSettings settings)
    {
        byte[] bytes = null;
        if (!ctx.TryLoadBinaryStream(StreamName, r => bytes = r.ReadBytes((int)r.BaseStream.Length))) return settings;
        Stored stored;
        try { stored = JsonSerializer.Deserialize<Stored>(bytes); }
        catch (JsonException e) { throw env.ExceptDecode(e, $"{StreamName} in the model zip is damaged: {e.Message}"); }
        if (stored?.Thresholds is null || stored.Thresholds.Length != settings.LabelNames.Length)
            throw env.ExceptDecode($"{StreamName} in the model zip does not give one threshold per label ({settings.LabelNames.Length}).");
        return settings with { Thresholds = stored.Thresholds, Hierarchical = stored.Hierarchical };
    }
}
