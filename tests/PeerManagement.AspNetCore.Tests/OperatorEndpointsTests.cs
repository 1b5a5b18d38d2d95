using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace PeerManagement.AspNetCore.Tests;

/// <summary>The console's endpoints: detail, events, kick and bans, and every bad input answered in the envelope with nothing half-applied.</summary>
public sealed class OperatorEndpointsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<KestrelApp> StartAsync(bool enableActions = true, Action<IServiceCollection>? services = null)
    {
        // Authentication and authorization after the envelope (UsePeerManagement), so their refusals are enveloped too.
        var app = await KestrelApp.StartAsync(map: a => a.UseAuthentication().UseAuthorization(), services: s =>
        {
            s.Configure<PeerManagementOptions>(o => o.Identities.Add("node.example.net s t"));
            s.AddPeerManagement().AddBlacklist("configured.example.org");
            OperatorAuthentication.Register(s, enableActions);
            // The limiter's slow-down runs on the test's fake clock; these tests are about the console, not the limiter.
            s.Configure<RateLimitingOptions>(o => o.Enabled = false);
            services?.Invoke(s);
        });
        app.Client.DefaultRequestHeaders.Add(OperatorAuthentication.Header, "yes");
        foreach (var peer in new[] { "a.example.org s", "b.example.org t", "x.sybil.example.com s" })
        {
            using var added = await app.Client.PostAsJsonAsync("/peers", new { real_name = peer }, Ct);
            added.EnsureSuccessStatusCode();
        }

        return app;
    }

    private static PeerManager Manager(KestrelApp app) => app.App.Services.GetRequiredService<PeerManager>();

    private static string[] Hosts(KestrelApp app) => [.. Manager(app).GetPeers().Select(p => p.Peer.Host.Value).Order(StringComparer.Ordinal)];

    private static async Task<JsonElement> Json(HttpResponseMessage response)
        => JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;

    private static async Task ShouldBeFailure(HttpResponseMessage response, HttpStatusCode status, string messagePart)
    {
        var json = await Json(response);
        response.StatusCode.Should().Be(status, json.GetRawText());
        json.GetProperty("success").GetBoolean().Should().BeFalse();
        json.GetProperty("code").GetInt32().Should().Be(1);
        json.GetProperty("message").GetString().Should().Contain(messagePart);
    }

    [Fact]
    public async Task The_detail_of_a_peer_says_what_an_operator_asks()
    {
        await using var app = await StartAsync();

        using var response = await app.Client.GetAsync("/peers/a.example.org", Ct);

        var detail = (await Json(response)).GetProperty("response");
        detail.GetProperty("host").GetString().Should().Be("a.example.org");
        detail.GetProperty("status").GetString().Should().Be("never");
        detail.GetProperty("source").GetString().Should().Be("admin");
        detail.GetProperty("ssl_port").GetInt32().Should().Be(50002);
        detail.GetProperty("try_count").GetInt32().Should().Be(0);
        detail.GetProperty("blacklisted").GetBoolean().Should().BeFalse();
        detail.TryGetProperty("next_check", out _).Should().BeTrue();
        detail.TryGetProperty("internal_bucket", out _).Should().BeTrue();
        detail.TryGetProperty("features", out _).Should().BeTrue();
    }

    [Fact]
    public async Task The_detail_of_an_unknown_host_is_a_404_and_of_an_invalid_one_a_400()
    {
        await using var app = await StartAsync();

        using var unknown = await app.Client.GetAsync("/peers/nobody.example.org", Ct);
        using var invalid = await app.Client.GetAsync("/peers/bad_host!", Ct);

        await ShouldBeFailure(unknown, HttpStatusCode.NotFound, "No peer matches 'nobody.example.org'");
        await ShouldBeFailure(invalid, HttpStatusCode.BadRequest, "is not a host");
    }

    [Fact]
    public async Task Events_are_polled_after_the_last_id_seen()
    {
        await using var app = await StartAsync();

        var first = (await Json(await app.Client.GetAsync("/peers/events?after=0", Ct))).GetProperty("response");
        var last = first.GetProperty("last").GetInt64();
        using (await app.Client.DeleteAsync("/peers/b.example.org", Ct))
        {
        }

        var next = (await Json(await app.Client.GetAsync($"/peers/events?after={last}", Ct))).GetProperty("response");

        first.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("host").GetString()).Should().Equal("a.example.org", "b.example.org", "x.sybil.example.com");
        first.GetProperty("events")[0].GetProperty("new_status").GetString().Should().Be("never");
        var kicked = next.GetProperty("events").EnumerateArray().Should().ContainSingle().Subject;
        kicked.GetProperty("host").GetString().Should().Be("b.example.org");
        kicked.GetProperty("new_status").ValueKind.Should().Be(JsonValueKind.Null);
        kicked.GetProperty("reason").GetString().Should().Be("kicked");
        using var bad = await app.Client.GetAsync("/peers/events?after=-1", Ct);
        await ShouldBeFailure(bad, HttpStatusCode.BadRequest, "after must be a whole number");
    }

    [Fact]
    public async Task A_poller_that_fell_behind_the_kept_events_is_told_so()
    {
        await using var app = await StartAsync(services: s => s.ConfigurePeerManagementConsole(o => o.RecentEventCount = 2));

        var page = (await Json(await app.Client.GetAsync("/peers/events?after=0", Ct))).GetProperty("response");

        page.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("id").GetInt64()).Should().Equal(2, 3);
        page.GetProperty("truncated").GetBoolean().Should().BeTrue();
        page.GetProperty("last").GetInt64().Should().Be(3);
    }

    [Fact]
    public async Task Delete_of_a_host_kicks_it_and_can_ban_it()
    {
        await using var app = await StartAsync();

        using var response = await app.Client.DeleteAsync("/peers/a.example.org?ban_for=1h", Ct);

        var result = (await Json(response)).GetProperty("response");
        result.GetProperty("forgotten").EnumerateArray().Select(e => e.GetString()).Should().Equal("a.example.org");
        result.GetProperty("ban").GetProperty("match").GetString().Should().Be("a.example.org");
        Hosts(app).Should().Equal("b.example.org", "x.sybil.example.com");
        using var again = await app.Client.PostAsJsonAsync("/peers", new { real_name = "a.example.org s" }, Ct);
        await ShouldBeFailure(again, HttpStatusCode.BadRequest, "blacklisted");
    }

    [Fact]
    public async Task Kick_by_suffix_forgets_every_matching_peer()
    {
        await using var app = await StartAsync();

        using var response = await app.Client.PostAsJsonAsync("/peers/kick", new { match = "*.sybil.example.com", ban_for = "7d", reason = "sybil" }, Ct);

        var result = (await Json(response)).GetProperty("response");
        result.GetProperty("forgotten").EnumerateArray().Select(e => e.GetString()).Should().Equal("x.sybil.example.com");
        result.GetProperty("ban").GetProperty("reason").GetString().Should().Be("sybil");
        Hosts(app).Should().Equal("a.example.org", "b.example.org");
    }

    [Theory]
    [InlineData("""{"match": "not a host"}""", "match: 'not a host' is not a host")]
    [InlineData("""{"match": "203.0.113.7/24"}""", "is not a CIDR range")]
    [InlineData("""{"match": ""}""", "match is missing")]
    [InlineData("""{"ban_for": "1h"}""", "match is missing")]
    [InlineData("""{"match": "a.example.org", "ban_for": "1x"}""", "has no known unit")]
    [InlineData("""{"match": "a.example.org", "ban_for": "0h"}""", "is not a duration")]
    [InlineData("""{"match": "a.example.org", "ban_for": "-1h"}""", "is not a duration")]
    [InlineData("""{"match": "a.example.org", "ban_for": "99999d"}""", "longer than the longest ban")]
    [InlineData("""{"match": "a.example.org", "ban_for": 3600}""", "The body must be a JSON object")]
    [InlineData("""{"match": "*.example.net", "ban_for": "1h"}""", "would cover our own identity node.example.net; refused")]
    [InlineData("""{"match": "node.example.net", "ban_for": "1h"}""", "would cover our own identity node.example.net; refused")]
    [InlineData("""not json""", "The body must be a JSON object")]
    public async Task A_bad_kick_is_a_400_naming_the_problem_and_changes_nothing(string body, string message)
    {
        await using var app = await StartAsync();

        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await app.Client.PostAsync("/peers/kick", content, Ct);

        await ShouldBeFailure(response, HttpStatusCode.BadRequest, message);
        Hosts(app).Should().Equal("a.example.org", "b.example.org", "x.sybil.example.com");
        (await Manager(app).GetBansAsync(Ct)).Should().NotContain(b => !b.Configured);
    }

    [Fact]
    public async Task A_kick_of_an_unknown_host_is_a_404_and_bans_nothing()
    {
        await using var app = await StartAsync();

        using var unknown = await app.Client.DeleteAsync("/peers/nobody.example.org?ban_for=1h", Ct);
        using var badDuration = await app.Client.DeleteAsync("/peers/a.example.org?ban_for=soon", Ct);

        await ShouldBeFailure(unknown, HttpStatusCode.NotFound, "No peer matches 'nobody.example.org'");
        await ShouldBeFailure(badDuration, HttpStatusCode.BadRequest, "ban_for:");
        Hosts(app).Should().HaveCount(3);
        (await Manager(app).GetBansAsync(Ct)).Should().NotContain(b => !b.Configured);
    }

    [Fact]
    public async Task A_body_over_its_limit_is_a_413_and_changes_nothing()
    {
        await using var app = await StartAsync();
        var reason = new string('x', 5000);

        using var sized = await app.Client.PostAsJsonAsync("/peers/kick", new { match = "a.example.org", reason }, Ct);
        using var chunked = new StringContent($$"""{"match": "a.example.org", "reason": "{{reason}}"}""", Encoding.UTF8, "application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/peers/bans") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using var streamed = await app.Client.SendAsync(request, Ct);

        await ShouldBeFailure(sized, HttpStatusCode.RequestEntityTooLarge, "larger than 4096 bytes");
        await ShouldBeFailure(streamed, HttpStatusCode.RequestEntityTooLarge, "larger than 4096 bytes");
        Hosts(app).Should().HaveCount(3);
        (await Manager(app).GetBansAsync(Ct)).Should().NotContain(b => !b.Configured);
    }

    [Fact]
    public async Task Bans_are_listed_added_and_removed_but_a_configured_entry_stays()
    {
        await using var app = await StartAsync();

        using var added = await app.Client.PostAsJsonAsync("/peers/bans", new { match = "203.0.113.0/24", reason = "abuse" }, Ct);
        var list = (await Json(await app.Client.GetAsync("/peers/bans", Ct))).GetProperty("response");
        using var configured = await app.Client.DeleteAsync("/peers/bans?match=configured.example.org", Ct);
        using var removed = await app.Client.DeleteAsync("/peers/bans?match=203.0.113.0%2F24", Ct);
        using var unknown = await app.Client.DeleteAsync("/peers/bans?match=nobody.example.org", Ct);
        using var malformed = await app.Client.DeleteAsync("/peers/bans?match=0x7f.1%2F8", Ct);

        (await Json(added)).GetProperty("response").GetProperty("expires").ValueKind.Should().Be(JsonValueKind.Null);
        list.EnumerateArray().Select(b => (b.GetProperty("match").GetString(), b.GetProperty("configured").GetBoolean()))
            .Should().Equal(("203.0.113.0/24", false), ("configured.example.org", true));
        await ShouldBeFailure(configured, HttpStatusCode.Conflict, "cannot be removed at run time");
        (await Json(removed)).GetProperty("response").GetProperty("result").GetString().Should().Be("removed");
        await ShouldBeFailure(unknown, HttpStatusCode.NotFound, "No run-time ban");
        await ShouldBeFailure(malformed, HttpStatusCode.BadRequest, "match:");
    }

    [Fact]
    public async Task Without_the_operator_policy_a_kick_is_refused_and_changes_nothing()
    {
        await using var app = await StartAsync();
        app.Client.DefaultRequestHeaders.Remove(OperatorAuthentication.Header);

        using var response = await app.Client.DeleteAsync("/peers/a.example.org", Ct);
        using var ban = await app.Client.PostAsJsonAsync("/peers/bans", new { match = "a.example.org" }, Ct);

        await ShouldBeFailure(response, HttpStatusCode.Unauthorized, "Unauthorized");
        await ShouldBeFailure(ban, HttpStatusCode.Unauthorized, "Unauthorized");
        Hosts(app).Should().HaveCount(3);
    }

    [Fact]
    public async Task With_operator_actions_off_nothing_can_be_kicked_or_banned()
    {
        await using var app = await StartAsync(enableActions: false);

        using var delete = await app.Client.DeleteAsync("/peers/a.example.org", Ct);
        using var kick = await app.Client.PostAsJsonAsync("/peers/kick", new { match = "a.example.org" }, Ct);
        using var ban = await app.Client.PostAsJsonAsync("/peers/bans", new { match = "a.example.org" }, Ct);

        delete.IsSuccessStatusCode.Should().BeFalse();
        kick.IsSuccessStatusCode.Should().BeFalse();
        ban.IsSuccessStatusCode.Should().BeFalse();
        Hosts(app).Should().HaveCount(3);
        (await app.Client.GetAsync("/peers/bans", Ct)).IsSuccessStatusCode.Should().BeTrue("reading stays available");
    }

    [Fact]
    public async Task Operator_actions_without_a_named_policy_do_not_start()
    {
        var start = () => KestrelApp.StartAsync(services: s => s.ConfigurePeerManagementConsole(o => o.EnableOperatorActions = true));

        await start.Should().ThrowAsync<InvalidOperationException>().WithMessage("*OperatorPolicy*");
    }

    [Fact]
    public async Task Info_tells_the_reachable_address_families_once_detected()
    {
        await using var app = await StartAsync(services: s =>
        {
            s.AddSingleton<IChainView>(new FixedChain());
            s.AddSingleton<IAddressFamilyProbe>(new FixedProbe());
            s.Configure<PeerManagementOptions>(o => o.Identities.Clear());
        });

        var info = (await Json(await app.Client.GetAsync("/peers/info", Ct))).GetProperty("response");

        info.GetProperty("reachable").GetRawText().Should().Be("""{"ipv4":false,"ipv6":true}""");
    }

    private sealed class FixedProbe : IAddressFamilyProbe
    {
        public ValueTask<AddressFamilyReachability> ProbeAsync(CancellationToken cancellationToken) => ValueTask.FromResult(new AddressFamilyReachability(false, true));
    }

    private sealed class FixedChain : IChainView
    {
        public string GenesisHash => "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";

        public ValueTask<int> GetTipHeightAsync(CancellationToken cancellationToken) => ValueTask.FromResult(0);

        public ValueTask<string?> GetHeaderHexAsync(int height, CancellationToken cancellationToken) => ValueTask.FromResult<string?>(null);
    }
}
