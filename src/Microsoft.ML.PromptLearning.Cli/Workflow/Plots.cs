using ScottPlot;

namespace Microsoft.ML.PromptLearning.Cli.Workflow;

/// <summary>The PNG pictures of a run, drawn with ScottPlot: training curves and confusion-matrix heatmaps.</summary>
internal static class Plots
{
    /// <summary>
    /// Training loss (left axis) and dev accuracy in percent, 0 to 100, as in the logs (right axis) against the step. Steps are
    /// whole numbers on the axis, which starts at 0; points carry markers, so one evaluation (or one logged loss) is visible.
    /// </summary>
    public static void TrainingCurves(string path, IReadOnlyList<(long Step, double Loss)> loss, IReadOnlyList<(long Step, double Accuracy)> accuracy, string score = "accuracy")
    {
        var plot = new Plot();
        if (loss.Count > 0)
        {
            var line = plot.Add.Scatter(loss.Select(p => (double)p.Step).ToArray(), loss.Select(p => p.Loss).ToArray());
            line.LegendText = "training loss";
            line.MarkerSize = loss.Count == 1 ? 9 : 4;
        }
        if (accuracy.Count > 0)
        {
            var line = plot.Add.Scatter(accuracy.Select(p => (double)p.Step).ToArray(), accuracy.Select(p => 100 * p.Accuracy).ToArray());
            line.LegendText = $"dev {score} (%)";
            line.MarkerSize = 9;
            line.Axes.YAxis = plot.Axes.Right;
        }
        plot.Title("Training");
        plot.XLabel("step");
        plot.YLabel("loss");
        plot.Axes.Right.Label.Text = $"dev {score} (%)";
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Axes.AutoScale();
        long lastStep = Math.Max(1, loss.Concat(accuracy.Select(a => (a.Step, a.Accuracy))).Select(p => p.Step).DefaultIfEmpty(1).Max());
        plot.Axes.SetLimitsX(0, lastStep + Math.Max(1, lastStep / 20.0));
        plot.Axes.SetLimitsY(0, 100, plot.Axes.Right);
        if (loss.Count > 0) plot.Axes.SetLimitsY(0, Math.Max(1e-3, loss.Max(p => p.Loss)) * 1.3, plot.Axes.Left);   // headroom for the legend
        plot.ShowLegend(Alignment.UpperCenter);
        Save(plot, path, 900, 540);
    }

    /// <summary>Confusion counts (row = true label, column = predicted), with the count written in every non-empty cell.</summary>
    public static void ConfusionMatrix(string path, string title, IReadOnlyList<IReadOnlyList<double>> counts, IReadOnlyList<string> labels)
    {
        int n = labels.Count;
        var data = new double[n, n];
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++) data[r, c] = counts[r][c];
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(data);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.Extent = new CoordinateRect(0, n - 1, 0, n - 1);   // cell centres: (r, c) sits at x = c, y = n-1-r (first row on top)
        plot.Add.ColorBar(heatmap);
        double max = Math.Max(1, data.Cast<double>().Max());
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++)
                if (data[r, c] > 0)
                {
                    var text = plot.Add.Text(data[r, c].ToString("0"), c, n - 1 - r);
                    text.LabelAlignment = Alignment.MiddleCenter;
                    text.LabelFontSize = n > 20 ? 8 : 11;
                    text.LabelFontColor = data[r, c] > max * 0.6 ? Colors.Black : Colors.White;
                }
        var positions = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(positions, labels.ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 30 + 6 * labels.Max(l => TextTable.Width(l));
        plot.Axes.Left.SetTicks(positions, labels.Reverse().ToArray());
        plot.Title(title);
        plot.XLabel("predicted");
        plot.YLabel("true");
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        int size = Math.Clamp(160 + 42 * n, 480, 1400);
        Save(plot, path, size + 120, size + 60);
    }

    /// <summary>One horizontal bar per label with its F1 in percent (first label on top), the support written after each bar.</summary>
    public static void PerLabelF1(string path, string title, IReadOnlyList<(string Label, double F1, int Support)> labels)
    {
        int n = labels.Count;
        var plot = new Plot();
        for (int i = 0; i < n; i++)
        {
            double y = n - 1 - i;
            var bar = plot.Add.Bar(new Bar { Position = y, Value = 100 * labels[i].F1, Orientation = Orientation.Horizontal, FillColor = Colors.SteelBlue });
            bar.Horizontal = true;
            var text = plot.Add.Text($"{100 * labels[i].F1:F1}  (n={labels[i].Support})", 100 * labels[i].F1 + 1, y);
            text.LabelAlignment = Alignment.MiddleLeft;
            text.LabelFontSize = n > 40 ? 8 : 11;
        }
        var positions = Enumerable.Range(0, n).Select(i => (double)(n - 1 - i)).ToArray();
        plot.Axes.Left.SetTicks(positions, labels.Select(l => l.Label).ToArray());
        plot.Axes.Left.MinimumSize = 30 + 7 * labels.Max(l => TextTable.Width(l.Label));
        plot.Title(title);
        plot.XLabel("F1 (%)");
        var percents = Enumerable.Range(0, 11).Select(i => 10.0 * i).ToArray();
        plot.Axes.Bottom.SetTicks(percents, percents.Select(p => p.ToString("0")).ToArray());
        plot.Axes.SetLimits(0, 118, -0.7, n - 0.3);   // room right of a full bar for its figures
        Save(plot, path, 1000, Math.Clamp(120 + 22 * n, 420, 2000));
    }

    private static void Save(Plot plot, string path, int width, int height)
    {
        plot.Font.Automatic();   // picks installed fonts that can draw the labels (e.g. Chinese label names)
        var png = plot.GetImageBytes(width, height, ImageFormat.Png);
        AtomicFile.WriteAllBytes(path, png);
    }
}
