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
        using var bound = Bound();
        await using var node = SampleAppProcess.Start(["--network", "lab", "--listen", $"127.31.0.1:{FreePort("127.31.0.1")}"], bound.Token);

        (await node.ReadUntilAsync("Joined", bound.Token)).Should().BeTrue("the node must be up before it is told to stop");
        await node.TerminateAsync(bound.Token);
        var error = await node.WaitForExitAsync(bound.Token);

        node.ExitCode.Should().Be(143, "SIGTERM ends the node as a shell reports a terminated command");
        node.Lines.Should().Contain(l => l.StartsWith("Stopping:", StringComparison.Ordinal));
        error.Should().NotContain("   at ", "a clean stop prints no stack trace");
        File.Exists(Path.Combine(node.DataDirectory.FullName, "peers.json")).Should().BeTrue("the store is saved at stop");
    }

    [Theory]
    [InlineData("--network", "lab", "--listen", "127.33.0.1:50001")] // never bound: the settings stop it first
    [InlineData("--nodes", "4", "--port", "0")]
    public async Task Invalid_settings_end_the_app_with_exit_2_and_every_one_listed_without_a_stack_trace(params string[] args)
    {
        using var bound = Bound();
        var environment = new Dictionary<string, string>
        {
            ["PEER_DISCOVERY"] = "banana",
            ["MAX_TOKENS"] = "-1",
            ["RATE_LIMIT_WINDOW_SECONDS"] = "abc",
        };
        await using var app = SampleAppProcess.Start(args, bound.Token, environment);

        var error = await app.WaitForExitAsync(bound.Token);

        app.ExitCode.Should().Be(2);
        error.Should().Contain("PEER_DISCOVERY='banana'").And.Contain("MAX_TOKENS='-1'").And.Contain("RATE_LIMIT_WINDOW_SECONDS='abc'");
        error.Should().NotContain("   at ", "a bad setting is the operator's mistake, not a crash");
    }

    [Fact]
    public async Task The_default_log_keeps_the_librarys_lines_and_drops_the_request_chatter()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "The node is stopped with SIGTERM, a POSIX signal.");
        using var bound = Bound();
        var httpPort = FreePort("127.38.0.1");
        await using var node = SampleAppProcess.Start(["--network", "lab", "--listen", "127.38.0.2:0", "--http", $"127.38.0.1:{httpPort}"], bound.Token);

        (await node.ReadUntilAsync("Joined", bound.Token)).Should().BeTrue();
        using (var http = new HttpClient { BaseAddress = new Uri($"http://127.38.0.1:{httpPort}") })
        {
            for (var i = 0; i < 30; i++)
            {
                await http.GetStringAsync("/peers/info", bound.Token);
            }
        }

        await node.TerminateAsync(bound.Token);
        var lines = node.Lines.Concat((await node.WaitForExitAsync(bound.Token)).Split('\n')).ToList();

        lines.Should().Contain(l => l.Contains("PeerManagement.Discovery", StringComparison.Ordinal), "the library's start-up lines are kept");
        lines.Should().NotContain(l => l.Contains("Microsoft.AspNetCore", StringComparison.Ordinal), "30 requests must not log 30 framework lines");
    }

    [Fact]
    public async Task The_http_option_serves_the_console_and_the_librarys_metrics_in_Prometheus_format()
    {
        using var bound = Bound();
        var httpPort = FreePort("127.39.0.1");
        await using var node = SampleAppProcess.Start(["--network", "lab", "--listen", "127.39.0.2:0", "--http", $"127.39.0.1:{httpPort}"], bound.Token);

        (await node.ReadUntilAsync("Joined", bound.Token)).Should().BeTrue();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.39.0.1:{httpPort}") };
        for (var i = 0; i < 3; i++)
        {
            await http.GetStringAsync("/peers/info", bound.Token);
        }

        var page = await http.GetStringAsync("/peers/ui", bound.Token);
        var metrics = await http.GetStringAsync("/metrics", bound.Token);

        page.Should().Contain("data-actions=\"true\"", "on loopback the sample's console may kick and ban");
        metrics.Should().Contain("# TYPE peermanagement_peers gauge");
        metrics.Should().MatchRegex("peermanagement_rate_limiter_decisions_total\\{[^}]*decision=\"granted\"[^}]*\\} [1-9]", "the HTTP requests' rate-limit decisions are counted");
        node.Lines.Should().Contain(l => l.Contains("Reachable address families: IPv4", StringComparison.Ordinal), "the start-up log says which families can be reached");
    }

    private static CancellationTokenSource Bound()
    {
        var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(60));
        return bound;
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
