using PeerManagement.Sample.Node;
using PeerManagement.Sample.Node.Lab;
using PeerManagement.Sample.Node.Terminal;

namespace PeerManagement.Sample.Tests;

// The lab binds 127.11.0.1 ... 127.18.0.1: one run at a time.
[Collection(nameof(LabCollection))]
public sealed class LabNetworkTests : IDisposable
{
    private static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(60);
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "pm-sample-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task The_default_run_converges_and_never_lists_the_wrong_genesis_or_blacklisted_node()
    {
        var output = new StringWriter();
        var settings = new LabSettings { DataDirectory = _dataDirectory, TimeLimit = TimeLimit, Port = 0 };

        var result = await RunAsync(settings, output);

        result.Converged.Should().BeTrue(result.Reason + Environment.NewLine + output);
        result.ExitCode.Should().Be(0);
        result.Elapsed.Should().BeLessThan(TimeLimit);
        result.Answers.Should().HaveCount(6, "every honest node is asked over a real session");
        foreach (var (node, hosts) in result.Answers)
        {
            hosts.Should().NotContain(["127.17.0.1", "127.18.0.1"], $"{node} must not tell others of a bad node");
            hosts.Should().Contain(Enumerable.Range(1, 6).Select(LabSettings.AddressOf).Where(a => a != AddressOfNode(node)));
        }

        // The verifier asks features and headers at once; whichever answer shows the other chain first gives the reason.
        result.BadVerdicts["node-7"].Should().ContainSingle().Which.Should().Match(v => v.Contains("incorrect genesis hash") || v.Contains("does not match ours"));
        result.BadVerdicts["node-8"].Should().NotBeEmpty().And.OnlyContain(v => v.Contains("blacklisted"));
    }

    [Fact]
    public async Task Redirected_output_is_plain_lines_without_escape_sequences()
    {
        var output = new StringWriter();
        var settings = new LabSettings { DataDirectory = _dataDirectory, TimeLimit = TimeLimit, Port = 0 };

        var result = await RunAsync(settings, output);

        result.Converged.Should().BeTrue(result.Reason + Environment.NewLine + output);
        var text = output.ToString();
        text.Should().NotContain("\u001b");
        text.Should().Contain("node-1 127.11.0.1: good ");
        text.Should().Contain("No node lists 127.17.0.1 or 127.18.0.1 in its answer.");
    }

    [Fact]
    public async Task A_second_run_starts_with_the_peers_the_first_run_stored_and_converges_at_once()
    {
        // A fixed port, so the stored real names are still right in the second run (0 only if it is taken).
        var settings = new LabSettings { DataDirectory = _dataDirectory, TimeLimit = TimeLimit, Port = 20_000 + Random.Shared.Next(40_000) };
        var first = await RunAsync(settings, new StringWriter());
        first.Converged.Should().BeTrue(first.Reason);

        var output = new StringWriter();
        var second = await RunAsync(settings, output);

        second.Converged.Should().BeTrue(second.Reason);
        second.PeersKnownAtStart.Should().BeGreaterThan(first.PeersKnownAtStart);
        File.Exists(Path.Combine(_dataDirectory, "node-1", "peers.json")).Should().BeTrue();
        if (!output.ToString().Contains("is taken"))
        {
            // The stored peers were good seconds ago: the second run holds the network at once, or after one re-check
            // of peers that turned stale in between (StaleAfter is 10 s) on a slow machine.
            second.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(15), $"the first run took {first.Elapsed}");
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"first run {first.Elapsed.TotalSeconds:0.0} s, second run {second.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task The_app_exits_0_when_the_network_converges()
    {
        var output = new StringWriter();

        var exitCode = await SampleApp.RunAsync(
            ["--data-dir", _dataDirectory, "--port", "0", "--timeout", "60"], output, output, interactive: false, TestContext.Current.CancellationToken);

        exitCode.Should().Be(0, output.ToString());
    }

    [Fact]
    public async Task The_app_exits_1_with_a_reason_when_the_time_limit_passes_first()
    {
        var output = new StringWriter();
        var settings = new LabSettings { DataDirectory = _dataDirectory, TimeLimit = TimeSpan.Zero, Port = 0 };

        var result = await RunAsync(settings, output);

        result.ExitCode.Should().Be(1);
        result.Reason.Should().StartWith("not converged within 0 s: ");
        output.ToString().Should().Contain("FAILED: not converged");
    }

    [Theory]
    [InlineData("--nodes", "3")]
    [InlineData("--nodes", "x")]
    [InlineData("--timeout")]
    [InlineData("--bogus")]
    [InlineData("--network", "dogecoin")]
    [InlineData("--http", "127.0.0.1:8080")]
    [InlineData("--network", "bitcoin")]
    [InlineData("--network", "lab", "--listen", "127.0.0.1")]
    [InlineData("--network", "lab", "--listen", "127.1:50001")]
    [InlineData("--network", "lab", "--listen", "::1:50001")]
    [InlineData("--network", "testnet", "--listen", "127.0.0.1:0")]
    public async Task Bad_arguments_exit_2_with_the_usage(params string[] args)
    {
        var error = new StringWriter();

        var exitCode = await SampleApp.RunAsync(args, new StringWriter(), error, interactive: false, TestContext.Current.CancellationToken);

        exitCode.Should().Be(2);
        error.ToString().Should().Contain("Usage:");
    }

    [Fact]
    public void The_arguments_set_nodes_data_directory_timeout_and_port()
    {
        var settings = SampleApp.Parse(["--nodes", "5", "--data-dir", "lab", "--timeout", "30", "--port", "0"], out var help);

        help.Should().BeFalse();
        settings.Nodes.Should().Be(5);
        settings.DataDirectory.Should().Be(Path.GetFullPath("lab"));
        settings.TimeLimit.Should().Be(TimeSpan.FromSeconds(30));
        settings.Port.Should().Be(0);
    }

    private static string AddressOfNode(string name) => LabSettings.AddressOf(int.Parse(name["node-".Length..]));

    private static async Task<LabResult> RunAsync(LabSettings settings, TextWriter output)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(settings.TimeLimit + TimeSpan.FromSeconds(30));
        return await new LabNetwork(settings, new StatusDisplay(output, interactive: false)).RunAsync(bound.Token);
    }
}

[CollectionDefinition(nameof(LabCollection), DisableParallelization = true)]
public sealed class LabCollection;
