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

    [Theory]
    // Hexadecimal parts: resolvers read 0x7f as 127.
    [InlineData("0x7f.0x0.0x0.0x1", "'0x7f' is a hexadecimal number")]
    [InlineData("0x7f.0.0.1", "'0x7f' is a hexadecimal number")]
    [InlineData("0X7F.0.0.1", "'0X7F' is a hexadecimal number")]
    [InlineData("127.0.0.0x1", "'0x1' is a hexadecimal number")]
    [InlineData("0x7f.1", "'0x7f' is a hexadecimal number")]
    [InlineData("0x7f000001", "'0x7f000001' is a hexadecimal number")]
    [InlineData("electrum.example.0x1f", "'0x1f' is a hexadecimal number")]
    [InlineData("electrum.example.0x", "'0x' is a hexadecimal number")]
    // Leading zeros: resolvers read 010 as octal 8, 0177 as 127.
    [InlineData("010.8.8.8", "'010' has a leading zero")]
    [InlineData("0177.0.0.1", "'0177' has a leading zero")]
    [InlineData("01.02.03.04", "'01' has a leading zero")]
    [InlineData("127.0.0.01", "'01' has a leading zero")]
    [InlineData("127.000.000.001", "'000' has a leading zero")]
    [InlineData("00.1.2.3", "'00' has a leading zero")]
    // Fewer or more than four parts: 127.1 and 2130706433 are 127.0.0.1 to inet_aton.
    [InlineData("2130706433", "four decimal parts 0-255 (a.b.c.d), and it has 1")]
    [InlineData("127.1", "four decimal parts 0-255 (a.b.c.d), and it has 2")]
    [InlineData("127.0.1", "four decimal parts 0-255 (a.b.c.d), and it has 3")]
    [InlineData("1.2.3.4.5", "four decimal parts 0-255 (a.b.c.d), and it has 5")]
    [InlineData("electrum.example.123", "its last label is a number")]
    // The trailing-dot spellings of the same.
    [InlineData("0x7f.1.", "'0x7f' is a hexadecimal number")]
    [InlineData("2130706433.", "and it has 1")]
    [InlineData("127.1.", "and it has 2")]
    [InlineData("010.8.8.8.", "'010' has a leading zero")]
    // Parts that are not numbers 0-255.
    [InlineData("256.1.1.1", "'256' is over 255")]
    [InlineData("1.2.3.1000", "'1000' is over 255")]
    [InlineData("1.2.3.99999999999999999999", "is over 255")]
    [InlineData("1..2.3", "empty part")]
    [InlineData("a.b.c.1", "'a' is not a decimal IPv4 part")]
    public void Numbers_in_disguise_are_refused_as_addresses_and_as_names(string text, string reason)
    {
        PeerHost.TryParse(text.AsSpan(), out _, out var error).Should().BeFalse();
        error.Should().Contain(reason);
        var act = () => PeerHost.Parse(text);
        act.Should().Throw<FormatException>().WithMessage($"'{text}' is not a valid peer host: *");
    }

    [Theory]
    [InlineData("1.2.3.4", "1.2.3.4")]
    [InlineData("0.1.2.3", "0.1.2.3")]
    [InlineData("10.0.0.0", "10.0.0.0")]
    [InlineData("8.8.8.8.", "8.8.8.8")]
    [InlineData("255.255.255.254", "255.255.255.254")]
    public void An_IPv4_literal_is_four_decimal_parts_without_leading_zeros(string text, string value)
    {
        var host = PeerHost.Parse(text);

        host.Kind.Should().Be(HostKind.IPv4);
        host.Value.Should().Be(value);
    }

    [Theory]
    [InlineData("1e100.net")]
    [InlineData("123.example.com")]
    [InlineData("4chan.org")]
    [InlineData("0x7f.example.org")]
    [InlineData("127.0.0.1.example.org")]
    [InlineData("electrum.example.0xg")]
    [InlineData("electrum.example.com1")]
    [InlineData("xn--bcher-kva.example")]
    public void DNS_names_with_digits_stay_valid(string text)
    {
        var host = PeerHost.Parse(text);

        host.Kind.Should().Be(HostKind.DnsName);
        host.IsPublic.Should().BeTrue();
    }

    [Theory]
    // IPv6 forms that carry an IPv4 address are as public as that address (or not public at all).
    [InlineData("::ffff:127.0.0.1", HostKind.IPv4, "127.0.0.1")]
    [InlineData("[::ffff:7f00:1]", HostKind.IPv4, "127.0.0.1")]
    [InlineData("::ffff:10.1.2.3", HostKind.IPv4, "10.1.2.3")]
    [InlineData("::127.0.0.1", HostKind.IPv6, "::127.0.0.1")]
    [InlineData("64:ff9b::127.0.0.1", HostKind.IPv6, "64:ff9b::7f00:1")]
    [InlineData("2002:7f00:1::1", HostKind.IPv6, "2002:7f00:1::1")]
    [InlineData("2002:c0a8:101::1", HostKind.IPv6, "2002:c0a8:101::1")]
    [InlineData("2001::1", HostKind.IPv6, "2001::1")]
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2", HostKind.IPv6, "2001:0:4136:e378:8000:63bf:3fff:fdd2")]
    public void IPv6_literals_with_an_embedded_IPv4_address_are_classified_as_what_they_are(string text, HostKind kind, string value)
    {
        var host = PeerHost.Parse(text);

        host.Kind.Should().Be(kind);
        host.Value.Should().Be(value);
        host.IsPublic.Should().BeFalse();
    }

    [Fact]
    public void A_6to4_address_of_a_public_IPv4_address_is_public()
    {
        PeerHost.Parse("2002:808:808::1").IsPublic.Should().BeTrue();
    }

    [Theory]
    [InlineData("::ffff:0x7f.0.0.1")]
    [InlineData("::ffff:0177.0.0.1")]
    [InlineData("::ffff:127.1")]
    [InlineData("[::ffff:010.8.8.8]")]
    public void IPv6_literals_with_a_disguised_IPv4_address_are_refused(string text)
    {
        PeerHost.TryParse(text.AsSpan(), out _, out var error).Should().BeFalse();
        error.Should().Contain("IPv6");
    }

    [Theory]
    [InlineData("8.8.8.8", true, true)]
    [InlineData("::ffff:8.8.8.8", true, true)]
    [InlineData("2a01:4f8::1", true, true)]
    [InlineData("127.0.0.1", true, false)]
    [InlineData("::ffff:127.0.0.1", true, false)]
    [InlineData("::1", true, false)]
    [InlineData("10.0.0.1", true, false)]
    [InlineData("fe80::1", true, false)]
    [InlineData("2002:7f00:1::1", true, false)]
    [InlineData("0.0.0.0", false, false)]
    [InlineData("::ffff:0.0.0.0", false, false)]
    [InlineData("::", false, false)]
    [InlineData("224.0.0.1", false, false)]
    [InlineData("ff02::1", false, false)]
    public void Any_address_can_be_judged_by_the_same_rules_as_a_literal(string text, bool valid, bool isPublic)
    {
        var address = System.Net.IPAddress.Parse(text);

        PeerHost.IsValidAddress(address).Should().Be(valid);
        PeerHost.IsPublicAddress(address).Should().Be(isPublic);
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
