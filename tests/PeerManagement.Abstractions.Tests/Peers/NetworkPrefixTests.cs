using System.Net;
using System.Net.Sockets;

namespace PeerManagement.Tests.Peers;

public class NetworkPrefixTests
{
    [Theory]
    [InlineData("203.0.113.9", 24, "203.0.113.0/24")]
    [InlineData("203.0.113.9", 16, "203.0.0.0/16")]
    [InlineData("203.0.113.9", 32, "203.0.113.9/32")]
    [InlineData("203.0.113.9", 0, "0.0.0.0/0")]
    [InlineData("::ffff:203.0.113.9", 24, "203.0.113.0/24")]
    public void An_IPv4_address_is_masked_to_its_network(string address, int length, string expected)
        => NetworkPrefix.Of(IPAddress.Parse(address), length, 64).ToString().Should().Be(expected);

    [Theory]
    [InlineData("2a01:4f8:1234:5678:9abc::1", 64, "2a01:4f8:1234:5678::/64")]
    [InlineData("2a01:4f8:1234:5678:9abc::1", 48, "2a01:4f8:1234::/48")]
    [InlineData("2a01:4f8:1234:5678:9abc::1", 56, "2a01:4f8:1234:5600::/56")]
    [InlineData("2a01:4f8:1234:5678:9abc::1", 128, "2a01:4f8:1234:5678:9abc::1/128")]
    public void An_IPv6_address_is_masked_to_its_network(string address, int length, string expected)
        => NetworkPrefix.Of(IPAddress.Parse(address), 32, length).ToString().Should().Be(expected);

    [Fact]
    public void Addresses_of_one_network_give_equal_keys_and_others_do_not()
    {
        var a = NetworkPrefix.Of(IPAddress.Parse("198.51.7.1"), 24, 48);
        var b = NetworkPrefix.Of(IPAddress.Parse("::ffff:198.51.7.200"), 24, 48);
        var c = NetworkPrefix.Of(IPAddress.Parse("198.51.8.1"), 24, 48);

        a.Should().Be(b);
        (a == b).Should().BeTrue();
        a.GetHashCode().Should().Be(b.GetHashCode());
        a.Should().NotBe(c);
        (a != c).Should().BeTrue();
        a.Family.Should().Be(AddressFamily.InterNetwork);
        a.Length.Should().Be(24);
    }

    [Fact]
    public void The_same_bits_at_another_length_or_family_are_another_network()
    {
        NetworkPrefix.Of(IPAddress.Parse("10.0.0.0"), 8, 64).Should().NotBe(NetworkPrefix.Of(IPAddress.Parse("10.0.0.0"), 16, 64));
        NetworkPrefix.Of(IPAddress.Parse("0.0.0.1"), 32, 128).Should().NotBe(NetworkPrefix.Of(IPAddress.Parse("::1"), 32, 128));
    }

    [Fact]
    public void A_network_contains_its_addresses_only()
    {
        var network = NetworkPrefix.Of(IPAddress.Parse("2a01:4f8:1234:5678::1"), 24, 48);

        network.Contains(IPAddress.Parse("2a01:4f8:1234:ffff::9")).Should().BeTrue();
        network.Contains(IPAddress.Parse("2a01:4f8:1235::1")).Should().BeFalse();
        network.Contains(IPAddress.Parse("203.0.113.1")).Should().BeFalse();
        NetworkPrefix.Of(IPAddress.Parse("203.0.113.1"), 24, 48).Contains(IPAddress.Parse("::ffff:203.0.113.77")).Should().BeTrue();
    }

    [Fact]
    public void Out_of_range_lengths_and_missing_addresses_are_refused_by_name()
    {
        var address = IPAddress.Parse("203.0.113.1");

        FluentActions.Invoking(() => NetworkPrefix.Of(address, 33, 64)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("ipv4Length");
        FluentActions.Invoking(() => NetworkPrefix.Of(address, 24, 129)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("ipv6Length");
        FluentActions.Invoking(() => NetworkPrefix.Of(null!, 24, 64)).Should().Throw<ArgumentNullException>().WithParameterName("address");
        default(NetworkPrefix).ToString().Should().BeEmpty();
    }
}
