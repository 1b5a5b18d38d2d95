using ScottPlot;

namespace PeerManagement.Simulation;

/// <summary>Draws a run's shares of honest peers over simulated time as a PNG.</summary>
internal static class ScenarioPlot
{
    public static void Save(ScenarioReport report, string path)
    {
        var plot = new Plot();
        var hours = report.Hours.Select(h => (double)h.Hour).ToArray();
        Add(plot, hours, report.Hours.Select(h => h.AvgGoodHonest * 100), "honest among good peers (mean)", LinePattern.Solid);
        Add(plot, hours, report.Hours.Select(h => h.MinGoodHonest * 100), "honest among good peers (min)", LinePattern.Dotted);
        Add(plot, hours, report.Hours.Select(h => h.AvgAnswerHonest * 100), "honest in answers (mean)", LinePattern.Solid);
        Add(plot, hours, report.Hours.Select(h => h.MinAnswerHonest * 100), "honest in answers (min)", LinePattern.Dotted);
        plot.Title(report.Settings.ToString());
        plot.XLabel("simulated hours");
        plot.YLabel("% honest");
        plot.Axes.SetLimitsY(0, 105);
        plot.ShowLegend(Alignment.LowerLeft);
        plot.SavePng(path, 900, 500);
    }

    private static void Add(Plot plot, double[] hours, IEnumerable<double> values, string label, LinePattern pattern)
    {
        var line = plot.Add.Scatter(hours, values.ToArray());
        line.LegendText = label;
        line.LinePattern = pattern;
    }
}
