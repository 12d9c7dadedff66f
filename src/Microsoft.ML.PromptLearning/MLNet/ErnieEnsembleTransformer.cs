using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.PromptLearning;
using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.PromptLearning.MLNet;
using Microsoft.ML.PromptLearning.SelfTraining;
using Microsoft.ML.Runtime;

[assembly: LoadableClass(typeof(ErnieEnsembleTransformer), null, typeof(SignatureLoadModel), "ERNIE Ensemble", ErnieEnsembleTransformer.LoaderSignature)]
[assembly: LoadableClass(typeof(IRowMapper), typeof(ErnieEnsembleTransformer), null, typeof(SignatureLoadRowMapper), "ERNIE Ensemble", ErnieEnsembleTransformer.LoaderSignature)]

namespace Microsoft.ML.PromptLearning;

/// <summary>
/// Several fitted classifiers (prompt models with different templates and seeds, and fine-tune models) scored as one: the
/// Score column is the weighted mean of the members' class probabilities (PET's ensemble). Saves into one ML.NET model zip
/// (each member as a sub-model) and loads back like the single models. To ship one fast model instead, distil the
/// ensemble with <see cref="PetTrainer"/>.
/// </summary>
public sealed class ErnieEnsembleTransformer : ClassifierTransformerBase
{
    internal const string LoaderSignature = "ErnieEnsembleTransformer";

    internal static VersionInfo GetVersionInfo() => new(
        modelSignature: "ERNIEENS", verWrittenCur: 0x00010001, verReadableCur: 0x00010001, verWeCanReadBack: 0x00010001,
        loaderSignature: LoaderSignature, loaderAssemblyName: typeof(ErnieEnsembleTransformer).Assembly.FullName);

    private readonly ErnieClassifierTransformerBase[] members;
    private readonly double[] weights;

    internal ErnieEnsembleTransformer(IHostEnvironment env, IReadOnlyList<ErnieClassifierTransformerBase> members, IReadOnlyList<double> weights)
        : base(env.Register(nameof(ErnieEnsembleTransformer)), CheckMembers(members, weights).Settings)
    {
        this.members = members.ToArray();
        double sum = weights.Sum();
        this.weights = weights.Select(w => w / sum).ToArray();
    }

    private static ErnieClassifierTransformerBase CheckMembers(IReadOnlyList<ErnieClassifierTransformerBase> members, IReadOnlyList<double> weights)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(weights);
        if (members.Count == 0) throw new ArgumentException("An ensemble needs at least one member.", nameof(members));
        if (weights.Count != members.Count) throw new ArgumentException($"{members.Count} members but {weights.Count} weights.", nameof(weights));
        if (weights.Any(w => !(w > 0) || double.IsInfinity(w))) throw new ArgumentException("Every member weight must be positive and finite.", nameof(weights));
        var first = members[0].Settings;
        foreach (var m in members.Skip(1))
        {
            if (!m.Settings.LabelNames.SequenceEqual(first.LabelNames))
                throw new ArgumentException("Every ensemble member must predict the same labels in the same order.", nameof(members));
            if (m.Settings.TextColumn != first.TextColumn || m.Settings.TextPairColumn != first.TextPairColumn)
                throw new ArgumentException("Every ensemble member must read the same text column(s).", nameof(members));
        }
        return members[0];
    }

    /// <summary>The members, in the order of <see cref="Weights"/>.</summary>
    public IReadOnlyList<ErnieClassifierTransformerBase> Members => members;

    /// <summary>Each member's weight in the mean (they sum to 1).</summary>
    public IReadOnlyList<double> Weights => weights;

    internal override float[][] Score(IReadOnlyList<TextRow> rows) =>
        rows.Count == 0 ? [] : TeacherEnsemble.Combine(members.Select(m => m.Score(rows)).ToList(), weights);

    /// <summary>Releases every member's native tensors.</summary>
    public override void Dispose()
    {
        foreach (var m in members) m.Dispose();
    }

    /// <summary>Writes the model into an ML.NET model zip (called by <c>mlContext.Model.Save</c>).</summary>
    public override void SaveModel(ModelSaveContext ctx)
    {
        Host.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        ctx.Writer.Write(members.Length);
        for (int i = 0; i < members.Length; i++)
        {
            ctx.Writer.Write(weights[i]);
            ctx.SaveModel(members[i], MemberName(i));
        }
    }

    private static string MemberName(int i) => $"Member{i:D3}";

    private static ErnieEnsembleTransformer Create(IHostEnvironment env, ModelLoadContext ctx) =>
        ModelZipFormat.Load(ctx, GetVersionInfo(), "ensemble", () => Load(env, ctx));

    private static ErnieEnsembleTransformer Load(IHostEnvironment env, ModelLoadContext ctx)
    {
        int count = ctx.Reader.ReadInt32();
        if (count < 1 || count > 1000) throw env.ExceptDecode($"The ensemble in the model zip claims {count} members; the zip is damaged.");
        var members = new List<ErnieClassifierTransformerBase>();
        var weights = new List<double>();
        for (int i = 0; i < count; i++)
        {
            weights.Add(ctx.Reader.ReadDouble());
            ctx.LoadModel<ITransformer, SignatureLoadModel>(env, out var member, MemberName(i));
            members.Add(member as ErnieClassifierTransformerBase
                ?? throw env.ExceptDecode($"Ensemble member {i} in the model zip is a {member?.GetType().Name ?? "missing model"}, not an ERNIE classifier."));
        }
        return new ErnieEnsembleTransformer(env, members, weights);
    }

    private static IRowMapper Create(IHostEnvironment env, ModelLoadContext ctx, DataViewSchema inputSchema) =>
        Create(env, ctx).MakeRowMapper(inputSchema);
}
