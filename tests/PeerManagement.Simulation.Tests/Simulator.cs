using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace PeerManagement.Simulation.Tests;

/// <summary>Runs the simulator (tests/PeerManagement.Simulation) with a deadline and reads its report.</summary>
internal static class Simulator
{
    private static readonly string Path = typeof(Simulator).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "SimulatorPath").Value!;

    /// <summary>The printed text up to the line "--" (what a seed fixes) and the JSON figures.</summary>
    public static async Task<(string Text, JsonElement Figures)> RunAsync(params string[] args)
    {
        File.Exists(Path).Should().BeTrue("the simulator is built with the tests: {0}", Path);
        var json = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"simulation-{Guid.NewGuid():N}.json");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])[Path, .. args, "--json", json])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(6));
            process.ExitCode.Should().Be(0, "the simulator ends normally; it wrote: {0}", await error);
            var text = await output;
            using var figures = JsonDocument.Parse(await File.ReadAllTextAsync(json, TestContext.Current.CancellationToken));
            return (text[..text.IndexOf("\n--\n", StringComparison.Ordinal)], figures.RootElement.Clone());
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            File.Delete(json);
        }
    }
}
