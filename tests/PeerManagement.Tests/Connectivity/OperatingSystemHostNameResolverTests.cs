using System.Net;
using System.Net.Sockets;

namespace PeerManagement.Tests.Connectivity;

public class OperatingSystemHostNameResolverTests
{
    [Theory]
    [InlineData("0x7f.0x0.0x0.0x1")]
    [InlineData("0x7f.1")]
    [InlineData("2130706433")]
    [InlineData("127.1")]
    [InlineData("0177.0.0.1")]
    [InlineData("010.8.8.8")]
    [InlineData("localhost")]
    public async Task A_name_that_is_not_a_peer_host_resolves_to_nothing_without_asking_the_system(string name)
    {
        // The system would read these numbers as addresses without asking DNS; they must never reach it.
        var asked = new List<string>();
        var resolver = new OperatingSystemHostNameResolver((host, _) =>
        {
            asked.Add(host);
            return Task.FromResult<IPAddress[]>([IPAddress.Loopback]);
        });

        var addresses = await resolver.ResolveAsync(name, TestContext.Current.CancellationToken);

        addresses.Should().BeEmpty();
        asked.Should().BeEmpty();
    }

    [Fact]
    public async Task A_peer_host_is_asked_of_the_system_and_a_failed_lookup_resolves_to_nothing()
    {
        var answers = new Dictionary<string, Func<IPAddress[]>>
        {
            ["electrum.example.org"] = () => [IPAddress.Parse("44.1.2.3")],
            ["missing.example.org"] = () => throw new SocketException((int)SocketError.HostNotFound),
            ["refused.example.org"] = () => throw new ArgumentException("refused"),
        };
        var resolver = new OperatingSystemHostNameResolver((host, _) => Task.Run(answers[host]));

        (await resolver.ResolveAsync("electrum.example.org", TestContext.Current.CancellationToken)).Should().Equal(IPAddress.Parse("44.1.2.3"));
        (await resolver.ResolveAsync("missing.example.org", TestContext.Current.CancellationToken)).Should().BeEmpty();
        (await resolver.ResolveAsync("refused.example.org", TestContext.Current.CancellationToken)).Should().BeEmpty();
    }
}
