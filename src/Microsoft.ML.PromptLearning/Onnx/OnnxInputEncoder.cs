using Microsoft.ML.PromptLearning.MLNet;
using Microsoft.ML.PromptLearning.Prompting;
using Microsoft.ML.PromptLearning.Tokenization;
using Microsoft.ML.PromptLearning.Training;

namespace Microsoft.ML.PromptLearning.Onnx;

/// <summary>Turns a text (and optional pair) into the inputs of an exported graph, as the fitted transformer did before export.</summary>
internal abstract class OnnxInputEncoder
{
    /// <summary><c>[CLS] a [SEP] (b [SEP])</c>, longest-first truncation (the fine-tune baseline).</summary>
    public const string TextPairEncoding = "text-pair";

    /// <summary>The prompt template (stored in the <c>template</c> metadata) with its [MASK] slots and soft tokens.</summary>
    public const string PromptEncoding = "prompt";

    /// <summary>Encodes one row.</summary>
    public abstract EncodedExample Encode(string text, string textPair);

    /// <summary>The encoder named by the model's <c>input_encoding</c> metadata.</summary>
    public static OnnxInputEncoder Create(OnnxModelMetadata metadata, ErnieTokenizer tokenizer) => metadata.InputEncoding switch
    {
        TextPairEncoding => new TextPairInputEncoder(tokenizer, metadata.MaxSequenceLength),
        PromptEncoding => new PromptInputEncoder(
            new PromptEncoder(Template.FromJson(metadata.Template ?? throw new InvalidDataException("The prompt model has no 'template' metadata.")), tokenizer, metadata.MaxSequenceLength)),
        _ => throw new InvalidDataException($"The model's input encoding '{metadata.InputEncoding}' is not one this version of Microsoft.ML.PromptLearning knows; " +
                                            "update the package (or the file is damaged: export the model again)."),
    };

    private sealed class TextPairInputEncoder(ErnieTokenizer tokenizer, int maxLength) : OnnxInputEncoder
    {
        public override EncodedExample Encode(string text, string textPair)
        {
            var e = tokenizer.Encode(text ?? "", textPair, maxLength);
            return new EncodedExample { InputIds = e.InputIds, TokenTypeIds = e.TokenTypeIds };
        }
    }

    private sealed class PromptInputEncoder(PromptEncoder encoder) : OnnxInputEncoder
    {
        public override EncodedExample Encode(string text, string textPair) => PromptSetup.Encode(encoder, new TextRow(text, textPair, -1));
    }
}
