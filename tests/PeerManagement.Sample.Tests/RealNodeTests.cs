using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PeerManagement.Sample.Node;
using PeerManagement.Sample.Node.Chain;
using PeerManagement.Sample.Node.Lab;
using PeerManagement.Sample.Node.Real;

namespace PeerManagement.Sample.Tests;

[Collection(nameof(LabCollection))]
public sealed class RealNodeTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "pm-sample-real-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task Two_nodes_joining_the_lab_network_find_each_other_good_and_save_their_stores()
    {
        var port = 20_000 + Random.Shared.Next(40_000);
        var httpPort = FreePort("127.21.0.1");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var outputA = new StringWriter();
        var outputB = new StringWriter();

        var a = SampleApp.RunAsync(
            ["--network", "lab", "--listen", $"127.21.0.1:{port}", "--seed", $"127.22.0.1 s{port}", "--data-dir", Path.Combine(_dataDirectory, "a"), "--http", $"127.21.0.1:{httpPort}"],
            outputA, outputA, interactive: false, stop.Token);
        var b = SampleApp.RunAsync(
            ["--network", "lab", "--listen", $"127.22.0.1:{port}:s", "--seed", $"127.21.0.1 t{port}", "--data-dir", Path.Combine(_dataDirectory, "b")],
            outputB, outputB, interactive: false, stop.Token);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline && !(Text(outputA).Contains("127.22.0.1 never→good") && Text(outputB).Contains("127.21.0.1 never→good")))
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        // The admin endpoints of node a (--http), in the envelope.
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.21.0.1:{httpPort}") };
        var info = await http.GetStringAsync("/peers/info", TestContext.Current.CancellationToken);
        var peers = await http.GetStringAsync("/peers", TestContext.Current.CancellationToken);

        await stop.CancelAsync();

        info.Should().StartWith("""{"success":true,"response":{"bad":0,"good":2,""");
        peers.Should().Contain("\"host\":\"127.22.0.1\"");
        Text(outputA).Should().Contain($"admin endpoints on http://127.21.0.1:{httpPort}/peers");
        (await a).Should().Be(0, Text(outputA));
        (await b).Should().Be(0, Text(outputB));
        Text(outputA).Should().Contain("127.22.0.1 never→good").And.Contain("Stopping: good 2");
        Text(outputB).Should().Contain("127.21.0.1 never→good");
        File.Exists(Path.Combine(_dataDirectory, "a", "peers.json")).Should().BeTrue();
    }

    [Fact]
    public async Task The_trusted_server_chain_view_reads_tip_and_headers_from_the_server()
    {
        var spec = new LabNodeSpec("node-1", LabSettings.AddressOf(1), "sample-lab", 0, LabNodeKind.Honest);
        await using var node = await LabNode.ListenAsync(spec, 0, TestContext.Current.CancellationToken);
        await node.StartAsync($"{LabSettings.AddressOf(2)} t1", [], new LabSettings { DataDirectory = _dataDirectory }, TestContext.Current.CancellationToken);
        var sessions = new JsonRpcSessionFactory(Options.Create(new JsonRpcOptions()), TimeProvider.System);
        var connector = new TcpPeerConnector(
            Options.Create(new PeerConnectorOptions { AllowNonPublicAddresses = true }), new NoResolver(), new Socks5ProxyConnector(Options.Create(new ProxyOptions()), TimeProvider.System), TimeProvider.System);
        await using var view = new TrustedServerChainView(
            "genesis", new PeerEndpoint(PeerHost.Parse(spec.Address), node.EndPoint.Port, PeerTransport.Tcp), connector, sessions);
        var expected = new SyntheticChain("sample-lab", 1000);

        var tip = await view.GetTipHeightAsync(TestContext.Current.CancellationToken);
        var header = await view.GetHeaderHexAsync(990, TestContext.Current.CancellationToken);

        tip.Should().Be(1000);
        header.Should().Be(await expected.GetHeaderHexAsync(990, TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("--listen", "127.0.0.1:50002:x")]
    [InlineData("--listen", "localhost:50001")]
    [InlineData("--network", "dogecoin")]
    [InlineData("--seed", "")]
    [InlineData("--proxy", "127.0.0.1")]
    [InlineData("--seed", "a.example s t", "--http", "localhost")]
    public void Bad_joining_arguments_are_refused(params string[] args)
    {
        var act = () => SampleApp.ParseReal(args);

        act.Should().Throw<FormatException>();
    }

    [Fact]
    public void Joining_arguments_are_read()
    {
        var settings = SampleApp.ParseReal(["--network", "testnet", "--seed", "a.example s t", "--seed", "b.example t", "--listen", "0.0.0.0:60001:t", "--proxy", "127.0.0.1:9050"]);

        settings.Network.Should().Be("testnet");
        settings.Seeds.Should().Equal("a.example s t", "b.example t");
        settings.Listen!.Port.Should().Be(60001);
        settings.Proxy.Should().Be(("127.0.0.1", 9050));
    }

    [Theory]
    [InlineData("[::1]:50001:s", "::1", 50001, true)]
    [InlineData("[::1]:50001", "::1", 50001, false)]
    [InlineData("127.0.0.1:0", "127.0.0.1", 0, false)]
    [InlineData("0.0.0.0:50002:t", "0.0.0.0", 50002, false)]
    public void Listen_takes_ipv6_in_brackets_and_port_0(string listen, string address, int port, bool tls)
    {
        var settings = SampleApp.ParseReal(["--network", "lab", "--listen", listen]);

        settings.Listen.Should().Be(new System.Net.IPEndPoint(System.Net.IPAddress.Parse(address), port));
        settings.ListenTls.Should().Be(tls);
    }

    [Fact]
    public void Allow_private_is_read_and_alone_selects_joining()
    {
        SampleApp.ParseReal(["--network", "testnet", "--seed", "10.0.0.5 t", "--allow-private"]).AllowPrivate.Should().BeTrue();
        SampleApp.ParseReal(["--network", "testnet", "--seed", "10.0.0.5 t"]).AllowPrivate.Should().BeFalse();
    }

    [Fact]
    public async Task A_node_listening_on_port_0_gets_a_port_and_says_which()
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var output = new StringWriter();

        var run = SampleApp.RunAsync(["--network", "lab", "--listen", "127.36.0.1:0", "--data-dir", Path.Combine(_dataDirectory, "port0")], output, output, interactive: false, stop.Token);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline && !Text(output).Contains("Joined", StringComparison.Ordinal) && !run.IsCompleted)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        await stop.CancelAsync();
        (await run).Should().Be(0, Text(output));
        var listening = System.Text.RegularExpressions.Regex.Match(Text(output), @"listening on 127\.36\.0\.1:(\d+)");
        listening.Success.Should().BeTrue(Text(output));
        int.Parse(listening.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture).Should().BeGreaterThan(0);
    }

    [Theory]
    [InlineData("--http")]
    [InlineData("--listen")]
    public async Task A_port_in_use_ends_the_node_with_exit_2_and_one_clear_line(string option)
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Parse("127.37.0.1"), 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        var output = new StringWriter();
        var error = new StringWriter();
        string[] args = option == "--http"
            ? ["--network", "lab", "--listen", "127.37.0.2:0", "--http", $"127.37.0.1:{port}", "--data-dir", Path.Combine(_dataDirectory, "taken")]
            : ["--network", "lab", "--listen", $"127.37.0.1:{port}", "--data-dir", Path.Combine(_dataDirectory, "taken")];

        var exitCode = await SampleApp.RunAsync(args, output, error, interactive: false, TestContext.Current.CancellationToken)
            .WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        exitCode.Should().Be(2);
        error.ToString().Should().Contain($"{option} 127.37.0.1:{port}").And.NotContain("   at ");
    }

    private static int FreePort(string address)
    {
        var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Parse(address), 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private static string Text(StringWriter writer)
    {
        lock (writer)
        {
            return writer.ToString();
        }
    }

    private sealed class NoResolver : IHostNameResolver
    {
        public ValueTask<IReadOnlyList<System.Net.IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken)
            => throw new NotSupportedException();
    }
}
