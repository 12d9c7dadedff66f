using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Prompting;
using Microsoft.ML.PromptLearning.Tokenization;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.PromptLearning.MLNet;

/// <summary>Glue between the trainer options and the prompt pieces: label words in class order, the template, the model.</summary>
internal static class PromptSetup
{
    /// <summary>
    /// What a prompt model zip of format 0x00010001 stored besides weights (the verbalizer kind as its number, the label words
    /// in class order); read only, later zips store the template's and the verbalizer's own configuration files.
    /// </summary>
    internal sealed record EarlierPromptConfig(string TemplateJson, PromptVerbalizerKind Verbalizer, string[][] LabelWords);

    /// <summary>A label and its words.</summary>
    internal sealed record LabelWordEntry(string Label, string[] Words);

    /// <summary>Label words in the order of the label key (class index order), checked against the key's label set.</summary>
    public static List<LabelWordEntry> OrderedLabelWords(IHost host, PromptErnieTrainer.Options o, IReadOnlyList<string> labelNames)
    {
        var given = o.LabelWords is not null
            ? LabelWords.FromDictionary(o.LabelWords.ToDictionary(kv => kv.Key, kv => kv.Value))
            : LabelWords.FromLabelFile(o.LabelFile);
        var byLabel = new Dictionary<string, string[]>();
        for (int i = 0; i < given.Labels.Count; i++) byLabel[given.Labels[i]] = given.WordsOf(i).ToArray();
        var unknown = byLabel.Keys.Where(l => !labelNames.Contains(l)).ToList();
        if (unknown.Count > 0)
            throw host.Except($"Label words are given for labels that are not in the label column's key values: {string.Join(", ", unknown.Take(10))}. " +
                $"Known labels: {string.Join(", ", labelNames.Take(10))}{(labelNames.Count > 10 ? ", …" : "")}.");
        var missing = labelNames.Where(l => !byLabel.ContainsKey(l)).ToList();
        if (missing.Count > 0)
            throw host.Except($"These labels have no label words: {string.Join(", ", missing.Take(10))}. Give every label at least one word.");
        return labelNames.Select(l => new LabelWordEntry(l, byLabel[l])).ToList();
    }

    /// <summary>The template from the prompt option; a bare prompt gets one mask per label-word character for the per-character verbalizer.</summary>
    public static Template BuildTemplate(IHost host, PromptErnieTrainer.Options o, IReadOnlyList<LabelWordEntry> words, ErnieTokenizer tokenizer)
    {
        var template = ParseTemplate(host, o, words, tokenizer);
        if (o.SoftEncoder is not { } encoder || !template.HasSoftParts) return template;
        // The soft tokens without an encoder of their own get the one given in the options.
        return Template.FromParts(template.Parts.Select(p => p.Kind == TemplatePartKind.Soft && p.Encoder == SoftEncoderKind.None
            ? p with { Encoder = encoder, HiddenSize = p.HiddenSize ?? o.EncoderHiddenSize }
            : p));
    }

    private static Template ParseTemplate(IHost host, PromptErnieTrainer.Options o, IReadOnlyList<LabelWordEntry> words, ErnieTokenizer tokenizer)
    {
        try
        {
            bool bare = !string.IsNullOrEmpty(o.Prompt) && !o.Prompt.Contains('{');
            if (bare && o.Verbalizer == PromptVerbalizerKind.MaskedLM)
            {
                int length = words.Max(w => tokenizer.Tokenize(w.Words[0]).Count);
                return Template.Parse("{'text':'text_a'}" + o.Prompt + $"{{'mask':None,'length':{length}}}");
            }
            return Template.FromPrompt(o.Prompt);
        }
        catch (TemplateParseException e)
        {
            throw host.Except(e, $"The prompt could not be parsed: {e.Message}");
        }
    }

    /// <summary>Builds the prompt network (soft prompt embeddings if the template has soft parts, and the verbalizer).</summary>
    public static PromptClassifier CreateNet(ErnieForMaskedLM plm, ErnieTokenizer tokenizer, Template template, IReadOnlyList<LabelWordEntry> words,
        PromptVerbalizerKind kind) =>
        CreateNet(plm, tokenizer, template, Verbalizer.Create(kind, LabelWords.FromDictionary(words.ToDictionary(w => w.Label, w => w.Words)), plm, tokenizer));

    /// <summary>Builds the prompt network around a verbalizer made for <paramref name="plm"/>.</summary>
    public static PromptClassifier CreateNet(ErnieForMaskedLM plm, ErnieTokenizer tokenizer, Template template, Verbalizer verbalizer)
    {
        verbalizer.Validate(template);
        SoftPromptEmbedding soft = template.HasSoftParts ? new SoftPromptEmbedding(template, tokenizer, plm) : null;
        return new PromptClassifier(plm, soft, verbalizer, template.MaskCount, template);
    }
}
