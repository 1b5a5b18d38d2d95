using System.Threading.RateLimiting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace PeerManagement.Tests.Configuration;

public class PeerManagementOptionsTests
{
    private static ServiceProvider Provider(IReadOnlyDictionary<string, string?> settings, Action<PeerManagementOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddPeerManagement(configure);
        return services.BuildServiceProvider();
    }

    private static string FailureOf<TOptions>(IReadOnlyDictionary<string, string?> settings, Action<PeerManagementOptions>? configure = null)
        where TOptions : class
    {
        using var provider = Provider(settings, configure);
        var act = () => provider.GetRequiredService<IOptions<TOptions>>().Value;
        return act.Should().Throw<OptionsValidationException>().Which.Message;
    }

    [Fact]
    public void Defaults_are_the_values_of_the_specification()
    {
        var options = new PeerManagementOptions();

        options.Discovery.Should().Be(PeerDiscoveryMode.On);
        options.Announce.Should().BeTrue();
        options.ForceProxy.Should().BeFalse();
        options.BlacklistUrl.Should().BeNull();
        options.BlacklistRefreshInterval.Should().Be(TimeSpan.FromMinutes(10));
        options.AllowNonPublicPeers.Should().BeFalse();
        options.DefaultPorts.Should().Be(DefaultPorts.BitcoinMainnet);
        options.StaleAfter.Should().Be(TimeSpan.FromHours(3));
        options.Wakeup.Should().Be(TimeSpan.FromMinutes(5));
        options.ForgetAfterTriesOnceGood.Should().Be(10);
        options.ForgetAfterTries.Should().Be(3);
        options.MaxNewPeersPerSource.Should().Be(2);
        options.RequestTimeout.Should().Be(TimeSpan.FromSeconds(30));
        options.ProxyRequestTimeout.Should().Be(TimeSpan.FromSeconds(120));
        options.MaxTipHeightDiff.Should().Be(5);
        options.MaxChainSplit.Should().Be(10);
        options.PeerAddPause.Should().Be(TimeSpan.FromMinutes(10));
        options.MaxOnionAddInterval.Should().Be(TimeSpan.FromMinutes(20));
        options.MaxPeersPerNetwork.Should().Be(64);
        options.PeerListRefreshInterval.Should().Be(TimeSpan.FromMinutes(10));

        var limits = new RateLimitingOptions();
        limits.Enabled.Should().BeTrue();
        limits.MaxTokens.Should().Be(10_000);
        limits.Window.Should().Be(TimeSpan.FromSeconds(3));
        limits.DelayAfter.Should().Be(5);
        limits.Delay.Should().Be(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void Every_environment_variable_is_bound()
    {
        using var provider = Provider(new Dictionary<string, string?>
        {
            ["PEER_DISCOVERY"] = "self",
            ["PEER_ANNOUNCE"] = "false",
            ["FORCE_PROXY"] = "1",
            ["TOR_PROXY_HOST"] = "tor.internal",
            ["TOR_PROXY_PORT"] = "9150",
            ["BLACKLIST_URL"] = "https://blacklist.example.org/list.json",
            ["MAX_TOKENS"] = "42",
            ["RATE_LIMIT_WINDOW_SECONDS"] = "1.5",
            ["RATE_LIMIT_DELAY_AFTER"] = "0",
            ["RATE_LIMIT_DELAY_MS"] = "250",
            ["ENABLE_RATE_LIMIT"] = "FALSE",
        });

        var options = provider.GetRequiredService<IOptions<PeerManagementOptions>>().Value;
        options.Discovery.Should().Be(PeerDiscoveryMode.Self);
        options.Announce.Should().BeFalse();
        options.ForceProxy.Should().BeTrue();
        options.BlacklistUrl.Should().Be(new Uri("https://blacklist.example.org/list.json"));

        var proxy = provider.GetRequiredService<IOptions<ProxyOptions>>().Value;
        proxy.TorProxyHost.Should().Be("tor.internal");
        proxy.TorProxyPort.Should().Be(9150);

        var limits = provider.GetRequiredService<IOptions<RateLimitingOptions>>().Value;
        limits.MaxTokens.Should().Be(42);
        limits.Window.Should().Be(TimeSpan.FromSeconds(1.5));
        limits.DelayAfter.Should().Be(0);
        limits.Delay.Should().Be(TimeSpan.FromMilliseconds(250));
        limits.Enabled.Should().BeFalse();
    }

    [Fact]
    public void Code_configuration_is_applied_after_the_environment()
    {
        using var provider = Provider(new Dictionary<string, string?> { ["PEER_DISCOVERY"] = "self" }, o => o.Discovery = PeerDiscoveryMode.Off);

        provider.GetRequiredService<IOptions<PeerManagementOptions>>().Value.Discovery.Should().Be(PeerDiscoveryMode.Off);
    }

    [Fact]
    public void Without_a_configuration_the_given_reader_is_used()
    {
        var values = new Dictionary<string, string> { ["MAX_TOKENS"] = "7", ["PEER_DISCOVERY"] = "OFF" };
        var configure = new EnvironmentConfigureOptions(name => values.GetValueOrDefault(name));
        var options = new PeerManagementOptions();
        var limits = new RateLimitingOptions();

        configure.Configure(options);
        configure.Configure(limits);

        options.Discovery.Should().Be(PeerDiscoveryMode.Off);
        limits.MaxTokens.Should().Be(7);
    }

    [Theory]
    [InlineData("PEER_DISCOVERY", "maybe", "one of on, self, off")]
    [InlineData("PEER_ANNOUNCE", "yes please", "true or false")]
    [InlineData("FORCE_PROXY", "2", "true or false")]
    [InlineData("BLACKLIST_URL", "ftp://example.org/list", "an absolute http or https URL")]
    [InlineData("BLACKLIST_URL", "list.json", "an absolute http or https URL")]
    public void An_invalid_peer_setting_is_rejected_naming_it_and_its_value(string name, string value, string expected)
    {
        var message = FailureOf<PeerManagementOptions>(new Dictionary<string, string?> { [name] = value });

        message.Should().Contain($"{name}='{value}' is not {expected}");
    }

    [Theory]
    [InlineData("MAX_TOKENS", "0", "a whole number of at least 1")]
    [InlineData("MAX_TOKENS", "1e3", "a whole number of at least 1")]
    [InlineData("MAX_TOKENS", "99999999999", "a whole number of at least 1")]
    [InlineData("RATE_LIMIT_WINDOW_SECONDS", "abc", "a number of seconds")]
    [InlineData("RATE_LIMIT_WINDOW_SECONDS", "0", "a number of seconds")]
    [InlineData("RATE_LIMIT_WINDOW_SECONDS", "-3", "a number of seconds")]
    [InlineData("RATE_LIMIT_WINDOW_SECONDS", "NaN", "a number of seconds")]
    [InlineData("RATE_LIMIT_DELAY_AFTER", "-1", "a whole number of at least 0")]
    [InlineData("RATE_LIMIT_DELAY_MS", "soon", "a number of milliseconds")]
    [InlineData("ENABLE_RATE_LIMIT", "perhaps", "true or false")]
    public void An_invalid_rate_limit_setting_is_rejected_naming_it_and_its_value(string name, string value, string expected)
    {
        var message = FailureOf<RateLimitingOptions>(new Dictionary<string, string?> { [name] = value });

        message.Should().Contain($"{name}='{value}' is not {expected}");
    }

    [Fact]
    public void Every_invalid_setting_is_reported_at_once()
    {
        var message = FailureOf<RateLimitingOptions>(new Dictionary<string, string?> { ["MAX_TOKENS"] = "x", ["RATE_LIMIT_DELAY_MS"] = "y" });

        message.Should().Contain("MAX_TOKENS='x'").And.Contain("RATE_LIMIT_DELAY_MS='y'");
    }

    [Theory]
    [InlineData("StaleAfter")]
    [InlineData("ProtocolMin")]
    [InlineData("ProtocolMax")]
    [InlineData("SeedPeers")]
    [InlineData("Identities")]
    [InlineData("MaxConcurrentChecks")]
    [InlineData("DefaultTcpPort")]
    [InlineData("MaxPeersPerNetwork")]
    [InlineData("MaxPeersPerNetwork below MaxGoodPeersPerNetwork")]
    [InlineData("PeerListRefreshInterval")]
    public void An_invalid_code_setting_is_rejected_naming_it(string setting)
    {
        Action<PeerManagementOptions> configure = setting switch
        {
            "StaleAfter" => o => o.StaleAfter = TimeSpan.FromMinutes(10),
            "ProtocolMin" => o => o.ProtocolMin = "one",
            "ProtocolMax" => o => o.ProtocolMax = "1.2",
            "SeedPeers" => o => o.SeedPeers.Add("-bad-.example.org s"),
            "Identities" => o => o.Identities.Add(string.Empty),
            "MaxConcurrentChecks" => o => o.MaxConcurrentChecks = 0,
            "MaxPeersPerNetwork" => o => o.MaxPeersPerNetwork = -1,
            "MaxPeersPerNetwork below MaxGoodPeersPerNetwork" => o => o.MaxPeersPerNetwork = 7,
            "PeerListRefreshInterval" => o => o.PeerListRefreshInterval = TimeSpan.FromMilliseconds(500),
            _ => o => o.DefaultTcpPort = 70000,
        };

        var message = FailureOf<PeerManagementOptions>(new Dictionary<string, string?>(), configure);

        message.Should().Contain(setting.Split(' ')[0]);
    }

    [Fact]
    public void The_per_network_entry_cap_may_equal_the_good_cap_and_either_may_be_off()
    {
        foreach (var (entries, good) in new[] { (8, 8), (0, 8), (4, 0), (0, 0) })
        {
            using var provider = Provider(new Dictionary<string, string?>(), o => { o.MaxPeersPerNetwork = entries; o.MaxGoodPeersPerNetwork = good; });

            provider.GetRequiredService<IOptions<PeerManagementOptions>>().Value.MaxPeersPerNetwork.Should().Be(entries);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(86_400)]
    public void The_peer_list_refresh_interval_is_zero_for_off_or_one_second_to_a_day(int seconds)
    {
        using var provider = Provider(new Dictionary<string, string?>(), o => o.PeerListRefreshInterval = TimeSpan.FromSeconds(seconds));

        provider.GetRequiredService<IOptions<PeerManagementOptions>>().Value.PeerListRefreshInterval.Should().Be(TimeSpan.FromSeconds(seconds));
        FailureOf<PeerManagementOptions>(new Dictionary<string, string?>(), o => o.PeerListRefreshInterval = TimeSpan.FromDays(2))
            .Should().Contain("PeerListRefreshInterval");
    }

    [Fact]
    public void Queue_order_and_limits_can_be_set_in_code()
    {
        var services = new ServiceCollection();
        services.AddPeerManagement();
        services.Configure<RateLimitingOptions>(o =>
        {
            o.QueueLimit = 3;
            o.QueueProcessingOrder = QueueProcessingOrder.NewestFirst;
        });
        using var provider = services.BuildServiceProvider();

        var limits = provider.GetRequiredService<IOptions<RateLimitingOptions>>().Value;

        limits.QueueLimit.Should().Be(3);
        limits.QueueProcessingOrder.Should().Be(QueueProcessingOrder.NewestFirst);
    }

    [Fact]
    public async Task An_invalid_value_fails_host_start_up_with_its_name_and_value()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["RATE_LIMIT_WINDOW_SECONDS"] = "abc" });
        builder.Services.AddPeerManagement();
        using var host = builder.Build();

        var act = () => host.StartAsync(TestContext.Current.CancellationToken);

        (await act.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain("RATE_LIMIT_WINDOW_SECONDS='abc' is not a number of seconds");
    }

    [Fact]
    public async Task Every_invalid_setting_is_listed_once_when_the_host_starts()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PEER_DISCOVERY"] = "banana",
            ["MAX_TOKENS"] = "-1",
            ["RATE_LIMIT_WINDOW_SECONDS"] = "abc",
        });
        builder.Services.AddPeerManagement();
        using var host = builder.Build();

        var act = () => host.StartAsync(TestContext.Current.CancellationToken);

        var failures = (await act.Should().ThrowAsync<Exception>()).Which switch
        {
            AggregateException all => all.InnerExceptions.OfType<OptionsValidationException>().SelectMany(e => e.Failures).ToList(),
            OptionsValidationException one => one.Failures.ToList(),
            var other => [other.Message],
        };
        failures.Should().HaveCount(3).And.OnlyHaveUniqueItems();
        failures.Should().Contain(f => f.StartsWith("PEER_DISCOVERY='banana'", StringComparison.Ordinal))
            .And.Contain(f => f.StartsWith("MAX_TOKENS='-1'", StringComparison.Ordinal))
            .And.Contain(f => f.StartsWith("RATE_LIMIT_WINDOW_SECONDS='abc'", StringComparison.Ordinal));
    }
}
