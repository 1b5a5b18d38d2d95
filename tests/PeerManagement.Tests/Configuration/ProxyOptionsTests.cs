using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace PeerManagement.Tests.Configuration;

public class ProxyOptionsTests
{
    private static ServiceProvider Provider(IReadOnlyDictionary<string, string?> settings, Action<ProxyOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        var builder = services.AddPeerManagement();
        if (configure is not null)
        {
            builder.ConfigureProxy(configure);
        }

        return services.BuildServiceProvider();
    }

    private static string FailureOf(IReadOnlyDictionary<string, string?> settings, Action<ProxyOptions>? configure = null)
    {
        using var provider = Provider(settings, configure);
        var act = () => provider.GetRequiredService<IOptions<ProxyOptions>>().Value;
        return act.Should().Throw<OptionsValidationException>().Which.Message;
    }

    [Fact]
    public void Defaults_probe_the_local_Tor_ports_and_look_again_every_15_minutes()
    {
        var options = new ProxyOptions();

        options.TorProxyHost.Should().Be("127.0.0.1");
        options.TorProxyPort.Should().BeNull("auto-detection probes 9050, 9150 and 1080");
        options.ProxyUserName.Should().BeNull();
        options.ProxyPassword.Should().BeNull();
        options.ProxyRetryInterval.Should().Be(TimeSpan.FromMinutes(15));
        options.ProbeTimeout.Should().Be(TimeSpan.FromSeconds(10));
        options.DetectTimeout.Should().Be(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void The_Tor_environment_variables_configure_the_proxy_options()
    {
        using var provider = Provider(new Dictionary<string, string?> { ["TOR_PROXY_HOST"] = "tor.internal", ["TOR_PROXY_PORT"] = "9150" });

        var options = provider.GetRequiredService<IOptions<ProxyOptions>>().Value;

        options.TorProxyHost.Should().Be("tor.internal");
        options.TorProxyPort.Should().Be(9150);
    }

    [Fact]
    public void A_bad_Tor_environment_value_fails_the_proxy_options_not_the_discovery_options()
    {
        using var provider = Provider(new Dictionary<string, string?> { ["TOR_PROXY_PORT"] = "nine" });

        var discovery = () => provider.GetRequiredService<IOptions<PeerManagementOptions>>().Value;
        var proxy = () => provider.GetRequiredService<IOptions<ProxyOptions>>().Value;

        discovery.Should().NotThrow();
        proxy.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("TOR_PROXY_PORT='nine'");
    }

    [Theory]
    [InlineData("TOR_PROXY_HOST", "not a host!", "a host name or address")]
    [InlineData("TOR_PROXY_PORT", "0", "a port")]
    [InlineData("TOR_PROXY_PORT", "65536", "a port")]
    [InlineData("TOR_PROXY_PORT", "nine", "a port")]
    public void An_invalid_environment_value_is_rejected_naming_it_and_its_value(string name, string value, string expected)
    {
        var message = FailureOf(new Dictionary<string, string?> { [name] = value });

        message.Should().Contain($"{name}='{value}' is not {expected}");
    }

    [Theory]
    [InlineData("TorProxyHost")]
    [InlineData("TorProxyPort")]
    [InlineData("ProxyUserName")]
    [InlineData("ProxyPassword")]
    [InlineData("ProxyRetryInterval")]
    [InlineData("ProbeTimeout")]
    [InlineData("DetectTimeout")]
    public void An_invalid_code_setting_is_rejected_naming_it(string setting)
    {
        Action<ProxyOptions> configure = setting switch
        {
            "TorProxyHost" => o => o.TorProxyHost = string.Empty,
            "TorProxyPort" => o => o.TorProxyPort = 0,
            "ProxyUserName" => o => o.ProxyUserName = "alice",
            "ProxyPassword" => o => (o.ProxyUserName, o.ProxyPassword) = ("alice", new string('p', 256)),
            "ProxyRetryInterval" => o => o.ProxyRetryInterval = TimeSpan.Zero,
            "ProbeTimeout" => o => o.ProbeTimeout = TimeSpan.FromMinutes(1),
            _ => o => o.DetectTimeout = TimeSpan.Zero,
        };

        var message = FailureOf(new Dictionary<string, string?>(), configure);

        message.Should().Contain(setting);
    }

    [Fact]
    public void A_password_that_is_too_long_is_rejected_without_being_shown()
    {
        var password = new string('p', 256);

        var message = FailureOf(new Dictionary<string, string?>(), o => (o.ProxyUserName, o.ProxyPassword) = ("alice", password));

        message.Should().Contain("ProxyPassword must be 1 to 255 bytes long").And.Contain("256").And.NotContain(password);
    }

    [Fact]
    public void ConfigureProxy_is_applied_after_the_environment()
    {
        using var provider = Provider(new Dictionary<string, string?> { ["TOR_PROXY_PORT"] = "9150" }, o => o.TorProxyPort = 9050);

        provider.GetRequiredService<IOptions<ProxyOptions>>().Value.TorProxyPort.Should().Be(9050);
    }

    [Fact]
    public async Task An_invalid_proxy_setting_fails_host_start_up()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["TOR_PROXY_PORT"] = "nine" });
        builder.Services.AddPeerManagement();
        using var host = builder.Build();

        var act = () => host.StartAsync(TestContext.Current.CancellationToken);

        (await act.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain("TOR_PROXY_PORT='nine' is not a port");
    }
}
