using Microsoft.ML.PromptLearning.Inference;

namespace Microsoft.ML.PromptLearning.MLNet;

/// <summary>
/// Rows a trainer adds to the labelled data it reads: pseudo-labelled texts (a class in <see cref="TextRow.Label"/>) or texts
/// with a teacher's class distribution (<see cref="SoftLabels"/>), learnt with the distillation loss at <see cref="Temperature"/>.
/// </summary>
internal sealed record AdditionalTrainingRows(IReadOnlyList<TextRow> Rows, IReadOnlyList<float[]> SoftLabels, double Temperature)
{
    /// <summary>Encodes the rows with <paramref name="encoder"/> and attaches the soft labels (their arg-max becomes the label).</summary>
    public IEnumerable<EncodedExample> Encode(InputEncoder encoder)
    {
        for (int i = 0; i < Rows.Count; i++)
        {
            var soft = SoftLabels?[i];
            var e = encoder.Encode(Rows[i]);
            if (soft is not null)
            {
                e.SoftLabel = soft;
                e.Label = Probabilities.ArgMax(soft);
            }
            yield return e;
        }
    }
}
