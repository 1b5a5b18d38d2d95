using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using PeerManagement.TestUtilities.Time;

namespace PeerManagement.AspNetCore.Tests;

/// <summary>A real Kestrel server on 127.0.0.1 with an OS-chosen port, and a client for it; stopped on dispose.</summary>
internal sealed class KestrelApp : IAsyncDisposable
{
    private KestrelApp(WebApplication app, FakeLogCollector logs, WatchedTimeProvider time)
    {
        App = app;
        Logs = logs;
        Time = time;
        Client = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public FakeLogCollector Logs { get; }

    public WatchedTimeProvider Time { get; }

    public static async Task<KestrelApp> StartAsync(
        Dictionary<string, string?>? settings = null,
        Action<WebApplication>? map = null,
        Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Configuration.AddInMemoryCollection(settings ?? []);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        var collector = new FakeLogCollector();
        builder.Logging.AddProvider(new FakeLoggerProvider(collector));
        var time = new WatchedTimeProvider();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddPeerManagement(o => o.AllowNonPublicPeers = false);
        builder.Services.AddPeerManagementRateLimiting();
        services?.Invoke(builder.Services);

        var app = builder.Build();
        app.UsePeerManagement();
        app.MapPeerManagementEndpoints();
        map?.Invoke(app);
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new KestrelApp(app, collector, time);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync(CancellationToken.None);
        await App.DisposeAsync();
    }
}
