using System.Net;
using Nerdbank.Streams;

namespace PeerManagement.Tests.Rpc;

/// <summary>The remote address is normalised once, where the session is created, so that handlers need not.</summary>
public partial class JsonRpcSessionTests
{
    [Theory]
    [InlineData("::ffff:203.0.113.5", "203.0.113.5:50001")]
    [InlineData("203.0.113.5", "203.0.113.5:50001")]
    [InlineData("2001:db8::1", "[2001:db8::1]:50001")]
    public async Task The_remote_end_point_is_reported_in_normal_form_from_the_start(string address, string expected)
    {
        var (a, _) = FullDuplexStream.CreatePipePair();
        await using var session = _kit.Factory.Create(a.AsStream(), new JsonRpcSessionSettings { RemoteEndPoint = new IPEndPoint(IPAddress.Parse(address), 50001) });

        session.RemoteEndPoint!.ToString().Should().Be(expected);
    }

    [Fact]
    public async Task A_remote_end_point_that_is_not_an_IP_end_point_is_kept_as_it_is()
    {
        var (a, _) = FullDuplexStream.CreatePipePair();
        var remote = new DnsEndPoint("peer.example.org", 50001);
        await using var session = _kit.Factory.Create(a.AsStream(), new JsonRpcSessionSettings { RemoteEndPoint = remote });

        session.RemoteEndPoint.Should().BeSameAs(remote);
    }
}
