using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace PeerManagement.Tests.Storage;

/// <summary>
/// Kills a process that saves in a tight loop (tests/PeerManagement.Storage.CrashChild) with SIGKILL at random
/// moments, and checks that the store then holds the previous or the new table, whole.
/// </summary>
public sealed class FilePeerStoreCrashTests : IDisposable
{
    private const int Kills = 50;

    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Store_killed_at_random_moments_while_saving_holds_the_previous_or_the_new_table_never_less()
    {
        var ct = TestContext.Current.CancellationToken;
        var child = typeof(FilePeerStoreCrashTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "CrashChildPath").Value!;
        File.Exists(child).Should().BeTrue("the crash child is built with the tests: {0}", child);
        var path = _directory.File("peers.json");
        var random = new Random(20261125);
        var logger = new FakeLogger<FilePeerStore>();
        var store = new FilePeerStore(Options.Create(new PeerStoreOptions { Path = path }), TimeProvider.System, logger);
        long next = 0;
        long held = -1; // the generation the store holds; -1 for nothing yet
        var killedMidSave = 0;

        for (var kill = 0; kill < Kills; kill++)
        {
            // Even kills land during the child's first save (its start-up is slow and varies), odd ones after it
            // has completed at least one save, so the store always makes progress whatever the machine's speed.
            var afterFirstSave = kill % 2 == 1;
            var delay = TimeSpan.FromMilliseconds(random.Next(0, afterFirstSave ? 100 : 250));
            var (saving, saved) = await RunAndKillAsync(child, path, next, afterFirstSave, delay, ct);
            var previous = saved ?? held;

            var loaded = await store.LoadAsync(ct);

            var generation = loaded.Count == 0 ? -1 : long.Parse(loaded[0].Source.AsSpan(1), CultureInfo.InvariantCulture);
            generation.Should().BeOneOf([previous, saving], "kill {0}: the store holds the table saved last or the one being saved", kill);
            if (generation >= 0)
            {
                loaded.ShouldEqual(CrashTable.Build(generation));
            }

            logger.Collector.GetSnapshot().Should().NotContain(r => r.Level >= LogLevel.Warning, "kill {0}: the main file is always intact", kill);
            _directory.FileNames().Should().NotContain(n => n.Contains(".corrupt-", StringComparison.Ordinal));
            if (saved is null || saving > saved)
            {
                killedMidSave++;
            }

            held = generation;
            next = saving + 1;
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{Kills} kills, {killedMidSave} of them during a save");
        held.Should().BeGreaterThanOrEqualTo(0, "some saves completed");
        killedMidSave.Should().BePositive("some kills must land in the middle of a save");
    }

    private static async Task<(long Saving, long? Saved)> RunAndKillAsync(string child, string path, long firstGeneration, bool afterFirstSave, TimeSpan delay, CancellationToken ct)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(child);
        start.ArgumentList.Add(path);
        start.ArgumentList.Add(firstGeneration.ToString(CultureInfo.InvariantCulture));

        var lines = new List<string>();
        var errors = new List<string>();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                started.TrySetException(new InvalidOperationException("The crash child ended early: " + string.Join('\n', errors)));
                return;
            }

            lock (lines)
            {
                lines.Add(e.Data);
            }

            if (e.Data.StartsWith(afterFirstSave ? "saved " : "saving ", StringComparison.Ordinal))
            {
                started.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (errors)
                {
                    errors.Add(e.Data);
                }
            }
        };

        process.Start();
        try
        {
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await started.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
            await Task.Delay(delay, ct);
        }
        finally
        {
            process.Kill(); // SIGKILL on Unix: no finally blocks, no flushing in the child
            await process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        }

        lock (lines)
        {
            var saved = lines.Any(l => l.StartsWith("saved ", StringComparison.Ordinal)) ? Last(lines, "saved ") : (long?)null;
            return (Last(lines, "saving "), saved);
        }
    }

    private static long Last(List<string> lines, string prefix)
        => lines.Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).Select(l => long.Parse(l.AsSpan(prefix.Length), CultureInfo.InvariantCulture)).Max();

    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { } host && File.Exists(host))
        {
            return host;
        }

        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }

        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { } root && File.Exists(Path.Combine(root, "dotnet")))
        {
            return Path.Combine(root, "dotnet");
        }

        return "dotnet";
    }
}
