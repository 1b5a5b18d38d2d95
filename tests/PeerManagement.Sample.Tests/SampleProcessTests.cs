using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PeerManagement.Sample.Tests;

/// <summary>The built sample as a process: signals stop it cleanly; invalid settings end it with one clear message.</summary>
public sealed class SampleProcessTests
{
    [Fact]
    public async Task Sigterm_stops_a_joining_node_cleanly_saving_its_store_with_exit_code_143()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "SIGTERM is a POSIX signal.");
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(60));
        var dataDirectory = Directory.CreateTempSubdirectory("peermanagement-signal-");
        var port = FreePort("127.31.0.1");
        var app = Path.Combine(AppContext.BaseDirectory, "PeerManagement.Sample.Node.dll");
        using var node = Process.Start(new ProcessStartInfo("dotnet", ["exec", app, "--network", "lab", "--listen", $"127.31.0.1:{port}", "--data-dir", dataDirectory.FullName])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            var stderr = node.StandardError.ReadToEndAsync(bound.Token);
            string? line;
            while ((line = await node.StandardOutput.ReadLineAsync(bound.Token)) is not null && !line.StartsWith("Joined", StringComparison.Ordinal))
            {
            }

            line.Should().StartWith("Joined", "the node must be up before it is told to stop");
            using (var kill = Process.Start("kill", ["-TERM", node.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(bound.Token);
            }

            var rest = await node.StandardOutput.ReadToEndAsync(bound.Token);
            await node.WaitForExitAsync(bound.Token);

            node.ExitCode.Should().Be(143, "SIGTERM ends the node as a shell reports a terminated command");
            rest.Should().Contain("Stopping:");
            (await stderr).Should().NotContain("   at ", "a clean stop prints no stack trace");
            File.Exists(Path.Combine(dataDirectory.FullName, "peers.json")).Should().BeTrue("the store is saved at stop");
        }
        finally
        {
            if (!node.HasExited)
            {
                node.Kill(entireProcessTree: true);
            }

            dataDirectory.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("--network", "lab", "--listen", "127.33.0.1:50001")] // never bound: the settings stop it first
    [InlineData("--nodes", "4", "--port", "0")]
    public async Task Invalid_settings_end_the_app_with_exit_2_and_every_one_listed_without_a_stack_trace(params string[] args)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(60));
        var dataDirectory = Directory.CreateTempSubdirectory("peermanagement-settings-");
        var start = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "PeerManagement.Sample.Node.dll"), .. args, "--data-dir", dataDirectory.FullName])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["PEER_DISCOVERY"] = "banana";
        start.Environment["MAX_TOKENS"] = "-1";
        start.Environment["RATE_LIMIT_WINDOW_SECONDS"] = "abc";
        using var app = Process.Start(start)!;
        try
        {
            var output = app.StandardOutput.ReadToEndAsync(bound.Token);
            var error = await app.StandardError.ReadToEndAsync(bound.Token);
            await app.WaitForExitAsync(bound.Token);
            await output;

            app.ExitCode.Should().Be(2);
            error.Should().Contain("PEER_DISCOVERY='banana'").And.Contain("MAX_TOKENS='-1'").And.Contain("RATE_LIMIT_WINDOW_SECONDS='abc'");
            error.Should().NotContain("   at ", "a bad setting is the operator's mistake, not a crash");
        }
        finally
        {
            if (!app.HasExited)
            {
                app.Kill(entireProcessTree: true);
            }

            dataDirectory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_default_log_keeps_the_librarys_lines_and_drops_the_request_chatter()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "The node is stopped with SIGTERM, a POSIX signal.");
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(60));
        var dataDirectory = Directory.CreateTempSubdirectory("peermanagement-log-");
        var httpPort = FreePort("127.38.0.1");
        var app = Path.Combine(AppContext.BaseDirectory, "PeerManagement.Sample.Node.dll");
        var start = new ProcessStartInfo("dotnet", ["exec", app, "--network", "lab", "--listen", "127.38.0.2:0", "--http", $"127.38.0.1:{httpPort}", "--data-dir", dataDirectory.FullName])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment.Remove("Logging__LogLevel__Default");
        using var node = Process.Start(start)!;
        try
        {
            var stderr = node.StandardError.ReadToEndAsync(bound.Token);
            var seen = new List<string>();
            string? line;
            while ((line = await node.StandardOutput.ReadLineAsync(bound.Token)) is not null && !line.StartsWith("Joined", StringComparison.Ordinal))
            {
                seen.Add(line);
            }

            using (var http = new HttpClient { BaseAddress = new Uri($"http://127.38.0.1:{httpPort}") })
            {
                for (var i = 0; i < 30; i++)
                {
                    await http.GetStringAsync("/peers/info", bound.Token);
                }
            }

            using (var kill = Process.Start("kill", ["-TERM", node.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(bound.Token);
            }

            seen.AddRange((await node.StandardOutput.ReadToEndAsync(bound.Token)).Split('\n'));
            seen.AddRange((await stderr).Split('\n'));
            await node.WaitForExitAsync(bound.Token);

            seen.Should().Contain(l => l.Contains("PeerManagement.Discovery", StringComparison.Ordinal), "the library's start-up lines are kept");
            seen.Should().NotContain(l => l.Contains("Microsoft.AspNetCore", StringComparison.Ordinal), "30 requests must not log 30 framework lines");
        }
        finally
        {
            if (!node.HasExited)
            {
                node.Kill(entireProcessTree: true);
            }

            dataDirectory.Delete(recursive: true);
        }
    }

    private static int FreePort(string address)
    {
        var probe = new TcpListener(IPAddress.Parse(address), 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
