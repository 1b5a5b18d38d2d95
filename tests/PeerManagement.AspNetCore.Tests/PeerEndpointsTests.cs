using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace PeerManagement.AspNetCore.Tests;

public sealed class PeerEndpointsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_admin_add_by_real_name_puts_the_peer_in_the_table()
    {
        await using var app = await KestrelApp.StartAsync();

        using var added = await app.Client.PostAsJsonAsync("/peers", new { real_name = "electrum.example.org v1.4 s t50001" }, Ct);
        using var again = await app.Client.PostAsJsonAsync("/peers", new { real_name = "electrum.example.org v1.4 s t50001" }, Ct);
        using var otherPorts = await app.Client.PostAsJsonAsync("/peers", new { real_name = "electrum.example.org s60002" }, Ct);

        added.StatusCode.Should().Be(HttpStatusCode.OK);
        (await added.Content.ReadAsStringAsync(Ct)).Should().Be("""{"success":true,"response":{"host":"electrum.example.org","result":"added"}}""");
        (await Response(again)).GetProperty("result").GetString().Should().Be("known");
        (await Response(otherPorts)).GetProperty("result").GetString().Should().Be("ports_changed");
    }

    [Fact]
    public async Task With_discovery_running_an_admin_add_goes_through_the_peer_manager()
    {
        await using var app = await KestrelApp.StartAsync(services: s =>
        {
            s.AddSingleton<IChainView>(new NoChain());
            s.AddSingleton<IProxyConnector>(new NoProxy());
        });

        using var added = await app.Client.PostAsJsonAsync("/peers", new { real_name = "electrum.example.org s" }, Ct);
        using var onion = await app.Client.PostAsJsonAsync("/peers", new { real_name = "abcdefghijklmnop.onion t" }, Ct);

        (await Response(added)).GetProperty("result").GetString().Should().Be("added");
        onion.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await onion.Content.ReadAsStringAsync(Ct)).Should().Contain("is not acceptable", "the manager refuses onion peers while no proxy is known");
        app.App.Services.GetRequiredService<PeerManager>().GetPeers().Select(p => p.Peer.Host.Value).Should().Equal("electrum.example.org");
    }

    [Fact]
    public async Task Listing_returns_every_peer_with_its_status()
    {
        await using var app = await KestrelApp.StartAsync();
        await app.Client.PostAsJsonAsync("/peers", new { real_name = "b.example.org s" }, Ct);
        await app.Client.PostAsJsonAsync("/peers", new { real_name = "a.example.org t" }, Ct);

        var peers = (await Response(await app.Client.GetAsync("/peers", Ct))).EnumerateArray().ToList();

        peers.Should().HaveCount(2);
        peers.Select(p => p.GetProperty("host").GetString()).Should().BeEquivalentTo("a.example.org", "b.example.org");
        peers.Should().OnlyContain(p => p.GetProperty("status").GetString() == "never" && p.GetProperty("source").GetString() == "admin");
        peers.Single(p => p.GetProperty("host").GetString() == "b.example.org").GetProperty("ssl_port").GetInt32().Should().Be(50002);
        peers.Single(p => p.GetProperty("host").GetString() == "a.example.org").GetProperty("real_name").GetString().Should().Be("a.example.org t");
    }

    [Fact]
    public async Task Info_counts_the_peers_by_status()
    {
        await using var app = await KestrelApp.StartAsync();
        await app.Client.PostAsJsonAsync("/peers", new { real_name = "a.example.org s" }, Ct);

        using var response = await app.Client.GetAsync("/peers/info", Ct);

        (await response.Content.ReadAsStringAsync(Ct)).Should().Be("""{"success":true,"response":{"bad":0,"good":0,"never":1,"stale":0,"total":1}}""");
    }

    [Theory]
    [InlineData("""{"real_name":""}""", "real_name is missing.")]
    [InlineData("""{"real_name":"bad_host! s"}""", "'bad_host! s' is not a valid peer real name")]
    [InlineData("""{"real_name":"intranet s"}""", "Peer 'intranet s' is not acceptable: not a public host.")]
    [InlineData("""{"real_name":"127.0.0.1 s"}""", "Peer '127.0.0.1 s' is not acceptable: not a public host.")]
    [InlineData("""{"real_name":"localhost s"}""", "'localhost s' is not a valid peer real name")]
    [InlineData("""{"real_name": 5}""", "The body must be a JSON object")]
    [InlineData("""not json""", "The body must be a JSON object")]
    public async Task A_bad_admin_add_is_a_400_naming_the_problem(string body, string message)
    {
        await using var app = await KestrelApp.StartAsync();

        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await app.Client.PostAsync("/peers", content, Ct);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await ErrorEnvelopeTests.Message(response)).Should().StartWith(message);
        (await Response(await app.Client.GetAsync("/peers/info", Ct))).GetProperty("total").GetInt32().Should().Be(0);
    }

    private static async Task<JsonElement> Response(HttpResponseMessage response)
    {
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        json.RootElement.GetProperty("success").GetBoolean().Should().BeTrue();
        return json.RootElement.GetProperty("response").Clone();
    }

    private sealed class NoChain : IChainView
    {
        public string GenesisHash => "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";

        public ValueTask<int> GetTipHeightAsync(CancellationToken cancellationToken) => ValueTask.FromResult(0);

        public ValueTask<string?> GetHeaderHexAsync(int height, CancellationToken cancellationToken) => ValueTask.FromResult<string?>(null);
    }

    private sealed class NoProxy : IProxyConnector
    {
        public System.Net.EndPoint? ProxyEndPoint => null;

        public ValueTask<System.Net.EndPoint?> DetectAsync(CancellationToken cancellationToken) => ValueTask.FromResult<System.Net.EndPoint?>(null);

        public ValueTask<Stream> ConnectAsync(PeerHost host, int port, CancellationToken cancellationToken) => throw new ProxyException("No proxy here.");
    }
}
