using Microsoft.ML.PromptLearning.Tokenization;

namespace Microsoft.ML.PromptLearning.Prompting;

/// <summary>
/// Where a template's soft vectors go: the 1-based soft token ids of every soft part (PaddleNLP's <c>soft_token_ids</c>),
/// the word each vector is initialised from, and its encoder. Ids are numbered in order of first appearance; a part that
/// reuses a <c>soft_id</c> gets the same ids. A soft part with init text has one vector per token of the text (more when
/// <c>length</c> is larger: the extra ones are random; a smaller <c>length</c> is ignored, as in PaddleNLP).
/// </summary>
internal sealed class SoftTokenLayout
{
    private SoftTokenLayout(int[][] partIds, int[] initWordIds, SoftEncoderKind[] slotEncoders, int? lstmHidden, int? mlpHidden)
    {
        PartIds = partIds;
        InitWordIds = initWordIds;
        SlotEncoders = slotEncoders;
        LstmHiddenSize = lstmHidden;
        MlpHiddenSize = mlpHidden;
    }

    /// <summary>Number of distinct soft vectors S.</summary>
    public int Count => InitWordIds.Length;

    /// <summary>Per template part: its soft token ids (1..S), or null for parts that are not soft.</summary>
    public int[][] PartIds { get; }

    /// <summary>Per vector (index = id - 1): the word id whose embedding initialises it, or -1 for a random start.</summary>
    public int[] InitWordIds { get; }

    /// <summary>Per vector: the encoder that re-parameterises it.</summary>
    public SoftEncoderKind[] SlotEncoders { get; }

    /// <summary>Hidden width of the LSTM encoder when set in the template.</summary>
    public int? LstmHiddenSize { get; }

    /// <summary>Hidden width of the MLP encoder when set in the template.</summary>
    public int? MlpHiddenSize { get; }

    public static SoftTokenLayout Create(Template template, ErnieTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(tokenizer);
        var parts = template.Parts;
        var partIds = new int[parts.Count][];
        var init = new List<int>();
        var encoders = new List<SoftEncoderKind>();
        var shared = new Dictionary<int, int[]>();
        int? lstmHidden = null, mlpHidden = null;
        for (int i = 0; i < parts.Count; i++)
        {
            var p = parts[i];
            if (p.Kind != TemplatePartKind.Soft) continue;
            if (p.SoftId is int reused && shared.TryGetValue(reused, out var existing))
            {
                partIds[i] = existing;
                continue;
            }
            var words = p.Value is null ? new List<int>() : tokenizer.Tokenize((p.AddSpace ? " " : "") + p.Value);
            if (p.Value is not null && words.Count == 0)
                throw new TemplateParseException($"the soft init text '{p.Value}' has no tokens", null, "use {'soft'} for random vectors", template.ToString());
            int count = p.Value is null ? p.Length ?? 1 : Math.Max(words.Count, p.Length ?? 0);
            var ids = new int[count];
            for (int k = 0; k < count; k++)
            {
                ids[k] = init.Count + 1;
                init.Add(k < words.Count ? words[k] : -1);
                encoders.Add(p.Encoder);
            }
            partIds[i] = ids;
            if (p.SoftId is int id) shared[id] = ids;
            if (p.Encoder == SoftEncoderKind.Lstm) lstmHidden ??= p.HiddenSize;
            if (p.Encoder == SoftEncoderKind.Mlp) mlpHidden ??= p.HiddenSize;
        }
        return new SoftTokenLayout(partIds, init.ToArray(), encoders.ToArray(), lstmHidden, mlpHidden);
    }
}
