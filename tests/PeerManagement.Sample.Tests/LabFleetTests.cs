using PeerManagement.Redis.Tests;
using PeerManagement.Sample.Node;
using PeerManagement.Sample.Node.Lab;
using PeerManagement.Sample.Node.Terminal;

namespace PeerManagement.Sample.Tests;

// The lab binds 127.11.0.1 ... 127.18.0.1: one run at a time.
[Collection(nameof(LabCollection))]
public sealed class LabFleetTests : IDisposable
{
    private static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(60);
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "pm-sample-fleet-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task With_redis_a_fleet_of_three_checks_the_lab_between_them_and_prints_each_ones_checks()
    {
        await using var redis = await RedisServer.StartAsync();
        var output = new StringWriter();
        var settings = SampleApp.Parse(["--redis", redis.Configuration, "--port", "0", "--data-dir", _dataDirectory], out _) with { TimeLimit = TimeLimit };

        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(TimeLimit + TimeSpan.FromSeconds(30));
        var result = await new LabNetwork(settings, new StatusDisplay(output, interactive: false)).RunAsync(bound.Token);

        result.Converged.Should().BeTrue(result.Reason + Environment.NewLine + output);
        var summary = output.ToString().Split('\n').Single(l => l.StartsWith("Fleet of 3 instances", StringComparison.Ordinal));
        summary.Should().MatchRegex(@"fleet-1 \d+, fleet-2 \d+, fleet-3 \d+");
    }

    [Fact]
    public void Redis_must_be_host_and_port()
    {
        var parse = () => SampleApp.Parse(["--redis", "localhost"], out _);

        parse.Should().Throw<FormatException>().WithMessage("*HOST:PORT*");
    }
}
