using System.Net;

namespace PeerManagement.Tests.Blacklist;

public class PeerMatchTests
{
    [Theory]
    [InlineData("Electrum.Example.ORG", "electrum.example.org")]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("[2001:db8::1]", "2001:db8::1")]
    [InlineData("203.0.113.0/24", "203.0.113.0/24")]
    [InlineData("2001:db8::/32", "2001:db8::/32")]
    [InlineData("*.Example.org", "*.example.org")]
    [InlineData("  a.example.org  ", "a.example.org")]
    public void A_match_is_read_into_its_canonical_form(string text, string canonical)
    {
        PeerMatch.TryParse(text, out var match, out var error).Should().BeTrue(error);
        match!.ToString().Should().Be(canonical);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("not a host")]
    [InlineData("*.")]
    [InlineData("*.org")]
    [InlineData("*.203.0.113.7")]
    [InlineData("203.0.113.7/24")]
    [InlineData("203.0.113.0/33")]
    [InlineData("010.8.8.8/8")]
    [InlineData("0x7f.1")]
    [InlineData("a.example.org/24")]
    public void Malformed_matches_are_refused_with_a_reason(string text)
    {
        PeerMatch.TryParse(text, out var match, out var error).Should().BeFalse();
        match.Should().BeNull();
        error.Should().NotBeNullOrEmpty();
    }

    [Fact]
    public void A_match_longer_than_its_limit_is_refused_and_the_reason_quotes_little_of_it()
    {
        PeerMatch.TryParse(new string('a', 400) + ".org", out _, out var error).Should().BeFalse();
        error!.Length.Should().BeLessThan(150);
    }

    [Theory]
    [InlineData("*.example.org", "example.org", null, true)]
    [InlineData("*.example.org", "a.b.example.org", null, true)]
    [InlineData("*.example.org", "badexample.org", null, false)]
    [InlineData("a.example.org", "a.example.org", null, true)]
    [InlineData("a.example.org", "b.example.org", "203.0.113.7", false)]
    [InlineData("203.0.113.7", "203.0.113.7", null, true)]
    [InlineData("203.0.113.7", "b.example.org", "203.0.113.7", true)]
    [InlineData("203.0.113.0/24", "b.example.org", "203.0.113.99", true)]
    [InlineData("203.0.113.0/24", "203.0.114.1", null, false)]
    [InlineData("2001:db8::/32", "[2001:db8::5]", null, true)]
    public void A_peer_is_covered_by_its_host_or_by_the_address_it_was_reached_at(string match, string host, string? address, bool covered)
    {
        PeerMatch.TryParse(match, out var parsed, out _).Should().BeTrue();
        parsed!.Matches(PeerHost.Parse(host), address is null ? null : IPAddress.Parse(address)).Should().Be(covered);
    }

    [Fact]
    public void An_IPv4_mapped_address_is_covered_like_its_IPv4_form()
    {
        PeerMatch.TryParse("203.0.113.0/24", out var match, out _).Should().BeTrue();
        match!.MatchesAddress(IPAddress.Parse("::ffff:203.0.113.9")).Should().BeTrue();
    }
}
