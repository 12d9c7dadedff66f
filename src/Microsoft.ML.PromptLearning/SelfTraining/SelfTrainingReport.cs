namespace Microsoft.ML.PromptLearning;

/// <summary>One teacher of a self-training run.</summary>
/// <param name="Name">What it is, e.g. <c>prompt 2 seed 43</c> or <c>fine-tune seed 42</c>.</param>
/// <param name="ValidationAccuracy">Its accuracy on the validation set (NaN without one).</param>
/// <param name="Weight">Its weight in the ensemble (0 when it was left out for being too far below the best).</param>
public sealed record TeacherReport(string Name, double ValidationAccuracy, double Weight);

/// <summary>One generation of teachers (PET has one; iPET several).</summary>
/// <param name="Generation">0 for the teachers trained on the labelled data alone.</param>
/// <param name="PseudoLabelledRows">Pseudo-labelled unlabeled texts the generation trained on beside the labelled data.</param>
/// <param name="Teachers">Its teachers.</param>
/// <param name="EnsembleValidationAccuracy">The weighted ensemble's validation accuracy (NaN without a validation set).</param>
public sealed record GenerationReport(int Generation, int PseudoLabelledRows, IReadOnlyList<TeacherReport> Teachers, double EnsembleValidationAccuracy);

/// <summary>What a self-training run (PET, iPET, ensemble) did.</summary>
/// <param name="UnlabeledRows">Unlabeled texts used (after removing empty, duplicate and training texts, and sampling).</param>
/// <param name="Generations">The teacher generations.</param>
/// <param name="StudentValidationAccuracy">The distilled model's validation accuracy (NaN without distillation or validation set).</param>
/// <param name="Seconds">Wall time of the whole run.</param>
/// <param name="ReturnedTeacher">The teacher returned instead of the student because the student's validation accuracy fell
/// more than <c>TeacherSelectionMargin</c> below that teacher's; null when the student was returned.</param>
public sealed record SelfTrainingReport(int UnlabeledRows, IReadOnlyList<GenerationReport> Generations, double StudentValidationAccuracy, double Seconds,
    string ReturnedTeacher = null);
