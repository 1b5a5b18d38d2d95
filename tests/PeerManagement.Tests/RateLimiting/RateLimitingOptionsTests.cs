using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace PeerManagement.Tests.RateLimiting;

public sealed class RateLimitingOptionsTests
{
    [Fact]
    public void Defaults_are_those_of_the_spec()
    {
        var options = Resolve([]);

        options.Enabled.Should().BeTrue();
        options.MaxTokens.Should().Be(10_000);
        options.Window.Should().Be(TimeSpan.FromSeconds(3));
        options.DelayAfter.Should().Be(5);
        options.Delay.Should().Be(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void Environment_variables_set_every_rate_limiting_option()
    {
        var options = Resolve(new()
        {
            ["MAX_TOKENS"] = "50",
            ["RATE_LIMIT_WINDOW_SECONDS"] = "1.5",
            ["RATE_LIMIT_DELAY_AFTER"] = "0",
            ["RATE_LIMIT_DELAY_MS"] = "20",
            ["ENABLE_RATE_LIMIT"] = "false",
        });

        options.MaxTokens.Should().Be(50);
        options.Window.Should().Be(TimeSpan.FromSeconds(1.5));
        options.DelayAfter.Should().Be(0);
        options.Delay.Should().Be(TimeSpan.FromMilliseconds(20));
        options.Enabled.Should().BeFalse();
    }

    [Theory]
    [InlineData("MAX_TOKENS", "0", "MAX_TOKENS='0' is not a whole number of at least 1.")]
    [InlineData("MAX_TOKENS", "lots", "MAX_TOKENS='lots' is not a whole number of at least 1.")]
    [InlineData("RATE_LIMIT_WINDOW_SECONDS", "0", "RATE_LIMIT_WINDOW_SECONDS='0' is not a number of seconds above 0.")]
    [InlineData("RATE_LIMIT_WINDOW_SECONDS", "-3", "RATE_LIMIT_WINDOW_SECONDS='-3' is not a number of seconds above 0.")]
    [InlineData("RATE_LIMIT_DELAY_AFTER", "-1", "RATE_LIMIT_DELAY_AFTER='-1' is not a whole number of at least 0.")]
    [InlineData("RATE_LIMIT_DELAY_MS", "soon", "RATE_LIMIT_DELAY_MS='soon' is not a number of milliseconds of at least 0.")]
    [InlineData("ENABLE_RATE_LIMIT", "maybe", "ENABLE_RATE_LIMIT='maybe' is not true or false.")]
    public void An_unreadable_environment_value_stops_start_up_naming_the_setting_and_the_value(string name, string value, string message)
    {
        var act = () => Resolve(new() { [name] = value });

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().Contain(message);
    }

    [Theory]
    [InlineData(nameof(RateLimitingOptions.MaxTokens))]
    [InlineData(nameof(RateLimitingOptions.Window))]
    [InlineData(nameof(RateLimitingOptions.Delay))]
    [InlineData(nameof(RateLimitingOptions.MaxPartitions))]
    [InlineData(nameof(RateLimitingOptions.PartitionIdleTimeout))]
    public void An_out_of_range_option_set_in_code_stops_start_up_naming_it(string setting)
    {
        var act = () => Resolve([], o =>
        {
            switch (setting)
            {
                case nameof(RateLimitingOptions.MaxTokens): o.MaxTokens = 0; break;
                case nameof(RateLimitingOptions.Window): o.Window = TimeSpan.Zero; break;
                case nameof(RateLimitingOptions.Delay): o.Delay = TimeSpan.FromHours(1); break;
                case nameof(RateLimitingOptions.MaxPartitions): o.MaxPartitions = 0; break;
                case nameof(RateLimitingOptions.PartitionIdleTimeout): o.PartitionIdleTimeout = TimeSpan.Zero; break;
            }
        });

        act.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain(setting);
    }

    [Fact]
    public void The_registered_limiter_follows_the_options()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["MAX_TOKENS"] = "2" }).Build());
        services.AddPeerManagement();
        using var provider = services.BuildServiceProvider();

        var limiter = provider.GetRequiredService<PartitionedRateLimiter<NetworkPrefix>>();
        limiter.Should().BeSameAs(provider.GetRequiredService<PeerPartitionedRateLimiter<NetworkPrefix>>());
        var loopback = PeerBuckets.GetInternalNetwork(IPAddress.Loopback);
        limiter.AttemptAcquire(loopback, 2).IsAcquired.Should().BeTrue();
        limiter.AttemptAcquire(loopback).IsAcquired.Should().BeFalse();
    }

    [Fact]
    public void UseRateLimiter_replaces_the_default_limiter()
    {
        using var replacement = new PeerPartitionedRateLimiter<NetworkPrefix>(RateLimitTestOptions.Create());
        var services = new ServiceCollection();
        services.AddPeerManagement().UseRateLimiter(replacement);
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<PartitionedRateLimiter<NetworkPrefix>>().Should().BeSameAs(replacement);
    }

    private static RateLimitingOptions Resolve(Dictionary<string, string?> settings, Action<RateLimitingOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        var builder = services.AddPeerManagement();
        if (configure is not null)
        {
            builder.ConfigureRateLimiting(configure);
        }

        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<RateLimitingOptions>>().Value;
    }
}
