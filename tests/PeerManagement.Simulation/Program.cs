using System.Diagnostics;
using PeerManagement.Simulation;

// One thread-pool thread: with the fake clock and the in-memory network, the order of all work is then fixed,
// so a seed gives the same run byte for byte. The runtime takes the thread count from DOTNET_PROCESSOR_COUNT,
// so the simulator starts itself again with it set when it is not.
if (Environment.ProcessorCount != 1)
{
    return Relaunch(args);
}

if (!ThreadPool.SetMinThreads(1, 1) || !ThreadPool.SetMaxThreads(1, 1))
{
    Console.Error.WriteLine("simulation: could not limit the thread pool to one thread");
    return 2;
}

ScenarioSettings settings;
try
{
    settings = ScenarioSettings.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine($"simulation: {ex.Message}");
    Console.Error.WriteLine("usage: --scenario honest|churn|sybil|eclipse|operator --nodes N --hours H --seed S [--max-peers N] [--off bucket-rule,network-cap,network-entries,operator-cap,answer-limit,operator-limit,budget-share,pull] [--json PATH] [--plot PATH.png]");
    return 2;
}

settings = settings with { MemoryBaseline = GC.GetTotalMemory(forceFullCollection: true) };
var clock = Stopwatch.StartNew();
var report = await Task.Run(() => Scenario.RunAsync(settings, CancellationToken.None));
Console.Write(report);
if (settings.JsonPath is { } json)
{
    await File.WriteAllTextAsync(json, report.ToJson());
}

if (settings.PlotPath is { } plot)
{
    ScenarioPlot.Save(report, plot);
}

// Below this line: measurements of this machine, not part of the repeatable result.
Console.WriteLine("--");
Console.WriteLine($"wall time {clock.Elapsed.TotalSeconds:F1} s; managed memory {report.BytesPerNode / 1024:F0} KB per honest node at the end (attacker included)");
return 0;

static int Relaunch(string[] args)
{
    var start = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
    if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
    {
        start.ArgumentList.Add(typeof(Scenario).Assembly.Location);
    }

    foreach (var arg in args)
    {
        start.ArgumentList.Add(arg);
    }

    start.Environment["DOTNET_PROCESSOR_COUNT"] = "1";
    using var process = Process.Start(start)!;
    process.WaitForExit();
    return process.ExitCode;
}
