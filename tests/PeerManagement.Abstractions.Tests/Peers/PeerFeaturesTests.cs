using System.Text;
using System.Text.Json;

namespace PeerManagement.Tests.Peers;

public class PeerFeaturesTests
{
    private static PeerFeatures Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return PeerFeatures.FromJson(document.RootElement);
    }

    [Fact]
    public void A_well_formed_answer_is_read_in_full()
    {
        var features = Parse("""
            {"hosts": {"Electrum.Example.org": {"tcp_port": 50001, "ssl_port": 50002}},
             "genesis_hash": "000000000019D6689C085AE165831E934FF763AE46A2A6C172B3F1B60A8CE26F",
             "hash_function": "sha256", "server_version": "ElectrumX 1.16.0",
             "protocol_min": "1.4", "protocol_max": "1.4.2.0", "pruning": null}
            """);

        features.Hosts.Should().ContainSingle().Which.Should().Be(
            new KeyValuePair<PeerHost, PeerPorts>(PeerHost.Parse("electrum.example.org"), new PeerPorts(50001, 50002)));
        features.GenesisHash.Should().Be("000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
        features.HashFunction.Should().Be("sha256");
        features.ServerVersion.Should().Be("ElectrumX 1.16.0");
        features.ProtocolMin.Should().Be(new ProtocolVersion(1, 4));
        features.ProtocolMax.Should().BeNull("'1.4.2.0' has four parts and is not a protocol version");
        features.Pruning.Should().BeNull();
    }

    [Theory]
    [InlineData("\"50001\"", 50001)]
    [InlineData("50001", 50001)]
    [InlineData("\"0\"", null)]
    [InlineData("0", null)]
    [InlineData("-5", null)]
    [InlineData("65536", null)]
    [InlineData("1e300", null)]
    [InlineData("99999999999999999999999", null)]
    [InlineData("50001.5", null)]
    [InlineData("\"5000a\"", null)]
    [InlineData("\" 50001\"", null)]
    [InlineData("true", null)]
    [InlineData("[50001]", null)]
    [InlineData("{\"port\": 50001}", null)]
    [InlineData("null", null)]
    public void Ports_are_kept_only_as_numbers_or_numeric_strings_in_range(string json, int? expected)
    {
        var features = Parse("""{"hosts": {"a.example.org": {"tcp_port": """ + json + "}}}");

        features.Hosts[PeerHost.Parse("a.example.org")].TcpPort.Should().Be(expected);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"text\"")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("[{\"hosts\": {}}]")]
    public void An_answer_that_is_not_an_object_gives_empty_features(string json)
    {
        Parse(json).Should().BeSameAs(PeerFeatures.Empty);
    }

    [Fact]
    public void Wrong_types_and_nested_garbage_are_dropped_without_throwing()
    {
        var features = Parse("""
            {"hosts": [1, 2, 3], "genesis_hash": 12, "hash_function": {"a": [1, {"b": null}]},
             "server_version": ["x"], "protocol_min": 1.4, "protocol_max": null, "pruning": "100",
             "unknown": {"deep": [[[[[]]]]]}}
            """);

        features.Hosts.Should().BeEmpty();
        features.GenesisHash.Should().BeNull();
        features.HashFunction.Should().BeNull();
        features.ServerVersion.Should().BeNull();
        features.ProtocolMin.Should().BeNull();
        features.Pruning.Should().BeNull();
    }

    [Fact]
    public void Missing_hosts_and_invalid_host_names_are_dropped()
    {
        Parse("""{"genesis_hash": "00"}""").Hosts.Should().BeEmpty();

        var features = Parse("""
            {"hosts": {"localhost": {"tcp_port": 1}, "bad_name": {"tcp_port": 2}, "": {}, "ok.example.org": "nonsense"}}
            """);

        features.Hosts.Keys.Should().Equal(PeerHost.Parse("ok.example.org"));
        features.Hosts[PeerHost.Parse("ok.example.org")].IsEmpty.Should().BeTrue();
    }

    [Theory]
    [InlineData("1", 1L)]
    [InlineData("10000", 10000L)]
    [InlineData("0", null)]
    [InlineData("-1", null)]
    [InlineData("1.5", null)]
    [InlineData("1e400", null)]
    public void Pruning_is_kept_only_as_a_positive_integer(string json, long? expected)
    {
        Parse("{\"pruning\": " + json + "}").Pruning.Should().Be(expected);
    }

    [Fact]
    public void Huge_strings_and_host_maps_are_bounded()
    {
        var hosts = string.Join(',', Enumerable.Range(0, 1000).Select(i => $"\"h{i}.example.org\": {{\"tcp_port\": 1}}"));
        var features = Parse("{\"hosts\": {" + hosts + "}, \"server_version\": \"" + new string('x', 100_000) + "\"}");

        features.Hosts.Should().HaveCount(PeerFeatures.MaxHosts);
        features.ServerVersion.Should().BeNull();
    }

    [Fact]
    public void Invalid_UTF8_in_a_value_drops_only_that_value()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"server_version": "AB", "hash_function": "sha256"}""");
        var index = Array.IndexOf(bytes, (byte)'A');
        bytes[index] = 0xC3; // a lead byte followed by 'B': not valid UTF-8

        PeerFeatures? features = null;
        try
        {
            using var document = JsonDocument.Parse(bytes);
            features = PeerFeatures.FromJson(document.RootElement);
        }
        catch (JsonException)
        {
            // The JSON reader refusing the document outright is also acceptable: nothing reaches the model.
            return;
        }

        features.ServerVersion.Should().BeNull();
        features.HashFunction.Should().Be("sha256");
    }

    [Fact]
    public void Written_features_read_back_the_same()
    {
        var features = Parse("""
            {"hosts": {"a.example.org": {"tcp_port": 50001, "ssl_port": null}, "abcdefghijklmnop.onion": {"tcp_port": null, "ssl_port": 50002}},
             "genesis_hash": "00ff", "hash_function": "sha256", "server_version": "X 1", "protocol_min": "1.4", "protocol_max": "1.4.2", "pruning": 500}
            """);

        var again = PeerFeatures.FromJson(JsonDocument.Parse(features.ToJsonObject().ToJsonString()).RootElement);

        again.Hosts.Should().BeEquivalentTo(features.Hosts);
        again.Should().BeEquivalentTo(features, o => o.Excluding(f => f.Hosts));
    }

    [Fact]
    public void Hosts_given_as_a_dictionary_are_copied_so_later_changes_do_not_reach_the_features()
    {
        var hosts = new Dictionary<PeerHost, PeerPorts> { [PeerHost.Parse("a.example.org")] = new(50001, null) };

        var features = new PeerFeatures { Hosts = hosts };
        hosts[PeerHost.Parse("b.example.org")] = new(50002, null);

        features.Hosts.Keys.Should().Equal(PeerHost.Parse("a.example.org"));
        features.Hosts[PeerHost.Parse("a.example.org")].Should().Be(new PeerPorts(50001, null));
        new PeerFeatures { Hosts = null! }.Hosts.Should().BeEmpty();
    }

    [Fact]
    public void Features_listing_the_same_hosts_in_another_order_are_equal()
    {
        var a = PeerHost.Parse("a.example.org");
        var b = PeerHost.Parse("abcdefghijklmnop.onion");

        var one = new PeerFeatures { Hosts = new Dictionary<PeerHost, PeerPorts> { [a] = new(50001, null), [b] = new(null, 50002) }, GenesisHash = "00ff" };
        var other = Parse("""{"hosts": {"abcdefghijklmnop.onion": {"ssl_port": 50002}, "a.example.org": {"tcp_port": 50001}}, "genesis_hash": "00ff"}""");

        other.Should().Be(one);
        other.GetHashCode().Should().Be(one.GetHashCode());
        (one with { Hosts = new Dictionary<PeerHost, PeerPorts> { [a] = new(50009, null) } }).Should().NotBe(one);
    }

    [Fact]
    public void Common_strings_are_shared_however_the_features_are_created()
    {
        // Distinct string instances of equal text, as a store or a peer's answer would give them.
        var hash = new string('0', 63) + "f";
        var built = new PeerFeatures { GenesisHash = new string(hash.AsSpan()), HashFunction = new string("sha256".AsSpan()), ServerVersion = new string("ElectrumX 1.16.0".AsSpan()) };
        var read = Parse($$"""{"genesis_hash": "{{hash}}", "hash_function": "sha256", "server_version": "ElectrumX 1.16.0"}""");

        ReferenceEquals(built.GenesisHash, read.GenesisHash).Should().BeTrue();
        ReferenceEquals(built.HashFunction, read.HashFunction).Should().BeTrue();
        ReferenceEquals(built.ServerVersion, read.ServerVersion).Should().BeTrue();
    }
}
