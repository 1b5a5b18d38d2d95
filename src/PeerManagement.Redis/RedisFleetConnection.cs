using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace PeerManagement.Redis;

/// <summary>
/// The fleet's connection to Redis and its state: every part reports each command's success or failure here, so
/// an outage is logged and counted once when it starts and once when it ends, and the parts that re-sync hear of
/// the end (<see cref="Restored"/>). Owns the multiplexer only when it opened it.
/// </summary>
internal sealed class RedisFleetConnection : IAsyncDisposable
{
    private readonly bool _ownsMultiplexer;
    private readonly ILogger _logger;
    private int _down; // 0 up, 1 down

    public RedisFleetConnection(IConnectionMultiplexer multiplexer, bool ownsMultiplexer, PeerManagementRedisOptions options, ILoggerFactory? loggers, IMeterFactory? meterFactory)
    {
        ArgumentNullException.ThrowIfNull(multiplexer);
        ArgumentNullException.ThrowIfNull(options);
        Multiplexer = multiplexer;
        _ownsMultiplexer = ownsMultiplexer;
        Options = options;
        Prefix = options.KeyPrefix;
        InstanceId = Guid.NewGuid().ToString("N");
        _logger = loggers?.CreateLogger("PeerManagement.Redis") ?? NullLogger.Instance;
        Metrics = new RedisMetrics(meterFactory);
        multiplexer.ConnectionRestored += OnConnectionRestored;
    }

    /// <summary>Raised when Redis answers again after an outage (on the thread that noticed).</summary>
    public event Action? Restored;

    public IConnectionMultiplexer Multiplexer { get; }

    public IDatabase Database => Multiplexer.GetDatabase();

    public PeerManagementRedisOptions Options { get; }

    public string Prefix { get; }

    /// <summary>This instance's name in the fleet (the owner of its leases).</summary>
    public string InstanceId { get; }

    public RedisMetrics Metrics { get; }

    public ILogger Logger => _logger;

    public bool IsAvailable => Volatile.Read(ref _down) == 0;

    public RedisKey Key(string part) => $"{Prefix}:{part}";

    /// <summary>Opens a connection from a configuration string; it keeps reconnecting in the background.</summary>
    public static IConnectionMultiplexer Connect(PeerManagementRedisOptions options)
    {
        var configuration = ConfigurationOptions.Parse(options.Configuration!);
        configuration.AbortOnConnectFail = false;
        var timeout = (int)options.CommandTimeout.TotalMilliseconds;
        configuration.AsyncTimeout = timeout;
        configuration.SyncTimeout = timeout;
        configuration.ConnectTimeout = Math.Max(timeout, 1000);
        configuration.ReconnectRetryPolicy = new LinearRetry(500);
        return ConnectionMultiplexer.Connect(configuration);
    }

    /// <summary>Notes that a command succeeded; ends an outage.</summary>
    public void ReportSuccess()
    {
        if (Volatile.Read(ref _down) == 1 && Interlocked.Exchange(ref _down, 0) == 1)
        {
            RedisLog.Restored(_logger, Prefix);
            Restored?.Invoke();
        }
    }

    /// <summary>Notes that a command failed (unreachable, too slow, or refused); starts an outage.</summary>
    /// <returns>Whether the failure is Redis's (the caller goes on locally); other exceptions are the caller's to throw.</returns>
    public bool ReportFailure(Exception exception, string operation)
    {
        if (exception is not (RedisException or TimeoutException or ObjectDisposedException))
        {
            return false;
        }

        Metrics.RecordLocal(operation);
        if (Interlocked.Exchange(ref _down, 1) == 0)
        {
            if (exception is RedisServerException refused)
            {
                Metrics.RecordOutage("refused");
                RedisLog.WriteRefused(_logger, Prefix, refused.Message);
            }
            else
            {
                Metrics.RecordOutage("unavailable");
                RedisLog.Unavailable(_logger, Prefix, Describe(exception), Options.LimiterFailureMode);
            }
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        Multiplexer.ConnectionRestored -= OnConnectionRestored;
        Metrics.Dispose();
        if (_ownsMultiplexer)
        {
            await Multiplexer.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
            Multiplexer.Dispose();
        }
    }

    private static string Describe(Exception exception) => exception switch
    {
        RedisTimeoutException or TimeoutException => "it did not answer in time",
        RedisConnectionException => "no connection",
        _ => exception.GetType().Name,
    };

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        // The socket is back: probe, so an outage noticed by commands ends without waiting for the next one.
        _ = ProbeAsync();
    }

    private async Task ProbeAsync()
    {
        try
        {
            await Database.PingAsync().ConfigureAwait(false);
            ReportSuccess();
        }
        catch (Exception ex) when (ReportFailure(ex, "probe"))
        {
        }
    }
}
