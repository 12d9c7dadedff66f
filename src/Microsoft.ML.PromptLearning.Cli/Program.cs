using Microsoft.ML.PromptLearning.Cli;

return CliApp.Run(args, Console.Out, Console.Error);
