namespace PeerManagement.Tests.Peers;

public class PeerHostTests
{
    [Theory]
    // Private, loopback, link-local, CGNAT, documentation, benchmarking and reserved IPv4 ranges.
    [InlineData("10.0.0.1")]
    [InlineData("10.255.255.255")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.254")]
    [InlineData("192.168.1.1")]
    [InlineData("127.0.0.1")]
    [InlineData("127.10.0.3")]
    [InlineData("169.254.10.20")]
    [InlineData("100.64.0.1")]
    [InlineData("100.127.255.254")]
    [InlineData("192.0.2.10")]
    [InlineData("198.51.100.10")]
    [InlineData("203.0.113.10")]
    [InlineData("198.18.0.1")]
    [InlineData("192.0.0.8")]
    [InlineData("0.1.2.3")]
    [InlineData("240.0.0.1")]
    [InlineData("255.255.255.255")]
    // IPv6: loopback, unique local, link-local, documentation, benchmarking, ORCHID, outside 2000::/3.
    [InlineData("::1")]
    [InlineData("fc00::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("fe80::1")]
    [InlineData("2001:db8::1")]
    [InlineData("3fff::1")]
    [InlineData("2001:2::1")]
    [InlineData("2001:10::1")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("100::1")]
    // A single-label name cannot be reached on the public network.
    [InlineData("intranet")]
    public void Valid_but_not_public_hosts_are_recognised(string text)
    {
        PeerHost.TryParse(text, out var host).Should().BeTrue();
        host.IsPublic.Should().BeFalse();
    }

    [Theory]
    [InlineData("8.8.8.8", HostKind.IPv4)]
    [InlineData("172.32.0.1", HostKind.IPv4)]
    [InlineData("100.128.0.1", HostKind.IPv4)]
    [InlineData("169.255.0.1", HostKind.IPv4)]
    [InlineData("2a01:4f8::1", HostKind.IPv6)]
    [InlineData("2001:4860:4860::8888", HostKind.IPv6)]
    [InlineData("electrum.example.org", HostKind.DnsName)]
    [InlineData("abcdefghijklmnop.onion", HostKind.Onion)]
    [InlineData("abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion", HostKind.Onion)]
    public void Public_hosts_are_recognised_with_their_kind(string text, HostKind kind)
    {
        var host = PeerHost.Parse(text);

        host.IsPublic.Should().BeTrue();
        host.Kind.Should().Be(kind);
    }

    [Theory]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("239.255.255.250", "multicast")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("::", "unspecified")]
    [InlineData("localhost", "localhost")]
    [InlineData("LocalHost", "localhost")]
    [InlineData("a.localhost", "localhost")]
    [InlineData("", "empty")]
    [InlineData("-a.example.org", "'-'")]
    [InlineData("a-.example.org", "'-'")]
    [InlineData("a..example.org", "empty label")]
    [InlineData("under_score.example.org", "'_'")]
    [InlineData("spa ce.example.org", "' '")]
    [InlineData("1.2.3", "all digits")]
    [InlineData("256.1.1.1", "IPv4")]
    [InlineData("short.onion", "onion")]
    [InlineData("fe80::1%eth0", "scope")]
    public void Invalid_hosts_are_refused_with_a_reason(string text, string reason)
    {
        PeerHost.TryParse(text.AsSpan(), out _, out var error).Should().BeFalse();
        error.Should().ContainEquivalentOf(reason);
        var act = () => PeerHost.Parse(text);
        act.Should().Throw<FormatException>().WithMessage($"'{text}'*");
    }

    [Fact]
    public void A_label_of_63_characters_is_valid_and_of_64_is_not()
    {
        PeerHost.TryParse(new string('a', 63) + ".example.org", out _).Should().BeTrue();
        PeerHost.TryParse(new string('a', 64) + ".example.org", out _).Should().BeFalse();
    }

    [Fact]
    public void A_name_of_253_characters_is_valid_and_of_254_is_not()
    {
        // Four labels of 61 characters and three dots are 247 characters; a last label of 5 makes 253.
        var name253 = string.Join('.', Enumerable.Repeat(new string('a', 61), 4)) + ".abcde";
        var name254 = string.Join('.', Enumerable.Repeat(new string('a', 61), 4)) + ".abcdef";

        name253.Length.Should().Be(253);
        PeerHost.TryParse(name253, out _).Should().BeTrue();
        PeerHost.TryParse(name254, out _).Should().BeFalse();
    }

    [Fact]
    public void Hosts_are_stored_lower_case_and_compared_case_insensitively()
    {
        var host = PeerHost.Parse("Electrum.Example.ORG.");

        host.Value.Should().Be("electrum.example.org");
        host.Should().Be(PeerHost.Parse("electrum.example.org"));
        host.GetHashCode().Should().Be(PeerHost.Parse("ELECTRUM.example.org").GetHashCode());
    }

    [Fact]
    public void Address_literals_are_canonical()
    {
        PeerHost.Parse("[2001:0DB8:0000::0001]").Value.Should().Be("2001:db8::1");
        PeerHost.Parse("::ffff:8.8.4.4").Should().Be(PeerHost.Parse("8.8.4.4"));
        PeerHost.Parse("8.8.4.4").Address.Should().Be(System.Net.IPAddress.Parse("8.8.4.4"));
    }
}
