using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace PeerManagement.Tests.Configuration;

public class JsonRpcOptionsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public void Defaults_bound_every_session()
    {
        var options = new JsonRpcOptions();

        options.MaxMessageBytes.Should().Be(1024 * 1024);
        options.RequestTimeout.Should().Be(TimeSpan.FromSeconds(30));
        options.WriteTimeout.Should().Be(TimeSpan.FromSeconds(30));
        options.CloseGrace.Should().Be(TimeSpan.FromSeconds(2));
        options.MaxBatchCalls.Should().Be(100);
        options.MaxCallsInFlight.Should().Be(16);
        options.MaxBytesInFlight.Should().Be(2 * 1024 * 1024);
        options.MaxUnsentBytes.Should().Be(4 * 1024 * 1024);
    }

    [Fact]
    public async Task Sessions_of_the_registered_factory_time_out_requests_by_the_JSON_RPC_setting_not_the_check_one()
    {
        var time = new FakeTimeProvider();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddPeerManagement(o => o.RequestTimeout = TimeSpan.FromMinutes(1))
            .ConfigureJsonRpc(o => o.RequestTimeout = TimeSpan.FromSeconds(5));
        using var provider = services.BuildServiceProvider();
        var (a, _) = Nerdbank.Streams.FullDuplexStream.CreatePair();
        await using var session = provider.GetRequiredService<IJsonRpcSessionFactory>().Create(a, new JsonRpcSessionSettings());

        var call = session.InvokeAsync("server.version", [], Token);
        time.Advance(TimeSpan.FromSeconds(5));

        await FluentActions.Awaiting(() => call.WaitAsync(Bound, Token)).Should().ThrowAsync<TimeoutException>();
    }

    [Theory]
    [InlineData("MaxMessageBytes")]
    [InlineData("RequestTimeout")]
    [InlineData("WriteTimeout")]
    [InlineData("CloseGrace")]
    [InlineData("MaxBatchCalls")]
    [InlineData("MaxCallsInFlight")]
    [InlineData("MaxBytesInFlight")]
    [InlineData("MaxUnsentBytes")]
    public void An_invalid_setting_is_rejected_naming_it(string setting)
    {
        Action<JsonRpcOptions> configure = setting switch
        {
            "MaxMessageBytes" => o => o.MaxMessageBytes = 10,
            "RequestTimeout" => o => o.RequestTimeout = TimeSpan.Zero,
            "WriteTimeout" => o => o.WriteTimeout = TimeSpan.FromHours(2),
            "CloseGrace" => o => o.CloseGrace = TimeSpan.FromMinutes(5),
            "MaxBatchCalls" => o => o.MaxBatchCalls = 0,
            "MaxCallsInFlight" => o => o.MaxCallsInFlight = 0,
            "MaxBytesInFlight" => o => o.MaxBytesInFlight = 1,
            _ => o => o.MaxUnsentBytes = 1,
        };
        var services = new ServiceCollection();
        services.AddPeerManagement().ConfigureJsonRpc(configure);
        using var provider = services.BuildServiceProvider();

        var act = () => provider.GetRequiredService<IOptions<JsonRpcOptions>>().Value;

        act.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain(setting);
    }

    [Fact]
    public async Task An_invalid_setting_fails_host_start_up()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddPeerManagement().ConfigureJsonRpc(o => o.MaxBatchCalls = 0);
        using var host = builder.Build();

        var act = () => host.StartAsync(Token);

        (await act.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain("MaxBatchCalls");
    }
}
