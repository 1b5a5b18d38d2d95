using StackExchange.Redis;

namespace PeerManagement.Redis;

/// <summary>
/// The fleet's check lease of each peer: a Redis key per peer, set only if absent, owned by one instance and
/// expiring after <see cref="PeerManagementRedisOptions.LeaseLength"/>; it is not released after the check, so
/// the other instances leave the peer alone until the check's record has reached them. While Redis is down every
/// lease is granted (the instance checks alone).
/// </summary>
internal sealed class RedisCheckLease(RedisFleetConnection connection) : IPeerCheckLease
{
    // Granted when absent, or already ours.
    private const string Script = """
        if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
        if redis.call('GET', KEYS[1]) == ARGV[1] then return 1 end
        return 0
        """;

    private readonly RedisValue _lengthMs = (long)Math.Ceiling(connection.Options.LeaseLength.TotalMilliseconds);

    public async ValueTask<bool> TryAcquireAsync(PeerHost host, CancellationToken cancellationToken)
    {
        try
        {
            var result = await connection.Database
                .ScriptEvaluateAsync(Script, [connection.Key("lease:" + host.Value)], [connection.InstanceId, _lengthMs])
                .WaitAsync(cancellationToken).ConfigureAwait(false);
            connection.ReportSuccess();
            return (long)result == 1;
        }
        catch (Exception ex) when (connection.ReportFailure(ex, "lease"))
        {
            return true;
        }
    }
}
