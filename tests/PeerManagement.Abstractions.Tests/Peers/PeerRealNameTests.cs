namespace PeerManagement.Tests.Peers;

public class PeerRealNameTests
{
    private static readonly DefaultPorts Mainnet = DefaultPorts.BitcoinMainnet;

    [Fact]
    public void Bare_s_and_t_mean_the_networks_default_ports()
    {
        var name = PeerRealName.Parse("electrum.example.org s t", Mainnet);

        name.Host.Value.Should().Be("electrum.example.org");
        name.Ports.Should().Be(new PeerPorts(50001, 50002));
    }

    [Fact]
    public void Explicit_ports_version_and_pruning_are_read()
    {
        var name = PeerRealName.Parse("electrum.example.org v1.4.2 p10000 s50012 t50011", Mainnet);

        name.Ports.Should().Be(new PeerPorts(50011, 50012));
        name.Version.Should().Be(new ProtocolVersion(1, 4, 2));
        name.Pruning.Should().Be(10000);
    }

    [Theory]
    [InlineData("electrum.example.org v1.4 s t")]
    [InlineData("electrum.example.org v1.4 s t50011")]
    [InlineData("electrum.example.org s50012")]
    [InlineData("electrum.example.org t")]
    [InlineData("electrum.example.org v1.4.2 p100 s t")]
    [InlineData("203.0.113.9 s")]
    [InlineData("2001:db8::7 v1.4 s t")]
    [InlineData("abcdefghijklmnop.onion t50011")]
    [InlineData("electrum.example.org")]
    public void Formatting_a_parsed_name_gives_the_same_text(string text)
    {
        var name = PeerRealName.Parse(text, Mainnet);

        name.Format(Mainnet).Should().Be(text);
        PeerRealName.Parse(name.Format(Mainnet), Mainnet).Should().Be(name);
    }

    [Fact]
    public void Formatting_omits_a_port_equal_to_the_default_and_writes_the_others()
    {
        var name = new PeerRealName(PeerHost.Parse("a.example.org"), new PeerPorts(50001, 443), ProtocolVersion.Parse("1.4"));

        name.Format(Mainnet).Should().Be("a.example.org v1.4 s443 t");
        name.ToString().Should().Be("a.example.org v1.4 s443 t50001");
    }

    [Fact]
    public void Defaults_of_another_network_are_used_for_bare_letters()
    {
        var name = PeerRealName.Parse("testnet.example.org s t", DefaultPorts.BitcoinTestnet);

        name.Ports.Should().Be(new PeerPorts(60001, 60002));
    }

    [Theory]
    [InlineData("[2001:db8::1] s", "2001:db8::1")]
    [InlineData("2001:DB8:0:0::1 t", "2001:db8::1")]
    [InlineData("::ffff:203.0.113.5 t", "203.0.113.5")]
    public void IPv6_literal_hosts_are_accepted_with_or_without_brackets(string text, string host)
    {
        PeerRealName.Parse(text, Mainnet).Host.Value.Should().Be(host);
    }

    [Fact]
    public void Unknown_and_malformed_tokens_are_ignored()
    {
        var name = PeerRealName.Parse("electrum.example.org x42 s99999 tabc vfoo p-3 s t  zz", Mainnet);

        name.Should().Be(new PeerRealName(PeerHost.Parse("electrum.example.org"), new PeerPorts(50001, 50002)));
    }

    [Fact]
    public void Host_names_are_compared_case_insensitively()
    {
        PeerRealName.Parse("Electrum.EXAMPLE.org s", Mainnet).Host.Should().Be(PeerHost.Parse("electrum.example.org"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("-bad-.example.org s t")]
    [InlineData("localhost s t")]
    [InlineData("bad_host.example.org t")]
    [InlineData("224.0.0.1 t")]
    [InlineData("0.0.0.0 t")]
    [InlineData("[::1 t")]
    public void Empty_or_invalid_input_is_a_format_error_naming_the_input(string text)
    {
        var act = () => PeerRealName.Parse(text, Mainnet);

        act.Should().Throw<FormatException>().WithMessage($"'{text}'*");
        PeerRealName.TryParse(text, Mainnet, out var result).Should().BeFalse();
        result.Should().BeNull();
    }

    [Theory]
    [InlineData("0x7f.0x0.0x0.0x1 s t", "hexadecimal")]
    [InlineData("0x7f.1 t", "hexadecimal")]
    [InlineData("2130706433 s", "four decimal parts")]
    [InlineData("127.1 t50001", "four decimal parts")]
    [InlineData("010.8.8.8 s t", "leading zero")]
    [InlineData("0177.0.0.1 t", "leading zero")]
    public void A_seed_or_peer_list_entry_with_a_number_in_disguise_is_refused_saying_why(string text, string reason)
    {
        var act = () => PeerRealName.Parse(text, Mainnet);

        act.Should().Throw<FormatException>().WithMessage($"'{text}' is not a valid peer real name: *{reason}*");
    }

    [Fact]
    public void Feature_tokens_of_a_peer_list_entry_build_the_same_name()
    {
        var host = PeerHost.Parse("electrum.example.org");

        var name = PeerRealName.FromTokens(host, ["v1.4", "s", "t50011", "unknown"], Mainnet);

        name.Should().Be(PeerRealName.Parse("electrum.example.org v1.4 s t50011", Mainnet));
        name.ToTokens(Mainnet).Should().Equal("v1.4", "s", "t50011");
    }
    [Theory]
    [InlineData("not a valid host!! s t", "'a' is not a token")]
    [InlineData("exa mple..com t", "'mple..com' is not a token")]
    [InlineData("127.23.0.1 t99999", "'t99999' is not a token")]
    [InlineData("127.23.0.1 tabc", "'tabc' is not a token")]
    [InlineData("host.example.org s0", "'s0' is not a token")]
    [InlineData("host.example.org v1.x", "'v1.x' is not a token")]
    [InlineData("host.example.org p-5", "'p-5' is not a token")]
    [InlineData("bad_host! s", "its host 'bad_host!' is not valid")]
    [InlineData("   ", "it is empty")]
    public void Strict_parsing_of_an_operators_input_names_the_bad_token(string text, string error)
    {
        PeerRealName.TryParseStrict(text, DefaultPorts.BitcoinMainnet, out var name, out var reason).Should().BeFalse();

        name.Should().BeNull();
        reason.Should().StartWith(error);
    }

    [Theory]
    [InlineData("electrum.example.org s t", "electrum.example.org s t")]
    [InlineData("Electrum.Example.ORG v1.4.2 p10000 s50012 t", "electrum.example.org v1.4.2 p10000 s50012 t")]
    [InlineData("203.0.113.5\tt50001", "203.0.113.5 t")]
    [InlineData("electrum.example.org", "electrum.example.org")]
    public void Strict_parsing_takes_every_known_token(string text, string formatted)
    {
        PeerRealName.TryParseStrict(text, DefaultPorts.BitcoinMainnet, out var name, out _).Should().BeTrue();

        name!.Format(DefaultPorts.BitcoinMainnet).Should().Be(formatted);
    }

    [Fact]
    public void An_error_quotes_at_most_a_hundred_characters_of_the_input()
    {
        var huge = "host.example.org s t " + new string('x', 100_000);

        PeerRealName.TryParseStrict(huge, DefaultPorts.BitcoinMainnet, out _, out var reason).Should().BeFalse();

        reason!.Length.Should().BeLessThan(250);
        reason.Should().Contain("…");
    }
}
