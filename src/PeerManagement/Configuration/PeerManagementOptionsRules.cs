using Microsoft.Extensions.Options;

namespace PeerManagement;

/// <summary>
/// The rules of <see cref="PeerManagementOptions"/> and <see cref="RateLimitingOptions"/> that attributes cannot
/// say: unreadable environment values, rules across settings, and real names that must parse.
/// </summary>
internal sealed class PeerManagementOptionsRules : IValidateOptions<PeerManagementOptions>, IValidateOptions<RateLimitingOptions>
{
    public ValidateOptionsResult Validate(string? name, PeerManagementOptions options)
    {
        var failures = new List<string>(options.ConfigurationErrors);
        if (options.StaleAfter <= 2 * options.Wakeup)
        {
            failures.Add($"StaleAfter ({options.StaleAfter}) must be longer than 2 × Wakeup ({options.Wakeup}), or good peers would go stale before their next check.");
        }

        if (options.MaxPeersPerNetwork > 0 && options.MaxGoodPeersPerNetwork > 0 && options.MaxPeersPerNetwork < options.MaxGoodPeersPerNetwork)
        {
            failures.Add($"MaxPeersPerNetwork ({options.MaxPeersPerNetwork}) must not be below MaxGoodPeersPerNetwork ({options.MaxGoodPeersPerNetwork}), or the good peers a network may hold would not fit in its entries (0 switches either off).");
        }

        if (options.PeerListRefreshInterval > TimeSpan.Zero && options.PeerListRefreshInterval < TimeSpan.FromSeconds(1))
        {
            failures.Add($"PeerListRefreshInterval ({options.PeerListRefreshInterval}) must be zero (pull discovery off) or at least 1 second.");
        }

        var min = CheckVersion(nameof(options.ProtocolMin), options.ProtocolMin, failures);
        var max = CheckVersion(nameof(options.ProtocolMax), options.ProtocolMax, failures);
        if (min is { } lo && max is { } hi && lo > hi)
        {
            failures.Add($"ProtocolMin ('{options.ProtocolMin}') must not be above ProtocolMax ('{options.ProtocolMax}').");
        }

        if (PeerPorts.IsValidPort(options.DefaultTcpPort) && PeerPorts.IsValidPort(options.DefaultSslPort))
        {
            CheckRealNames(nameof(options.SeedPeers), options.SeedPeers, options.DefaultPorts, failures);
            CheckRealNames(nameof(options.Identities), options.Identities, options.DefaultPorts, failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public ValidateOptionsResult Validate(string? name, RateLimitingOptions options)
        => options.ConfigurationErrors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(options.ConfigurationErrors);

    private static ProtocolVersion? CheckVersion(string setting, string? value, List<string> failures)
    {
        if (ProtocolVersion.TryParse(value, out var version))
        {
            return version;
        }

        failures.Add($"{setting}='{value}' is not a protocol version (e.g. '1.4' or '1.4.2').");
        return null;
    }

    private static void CheckRealNames(string setting, IList<string> names, DefaultPorts defaults, List<string> failures)
    {
        foreach (var name in names)
        {
            if (!PeerRealName.TryParse(name.AsSpan(), defaults, out _, out var error))
            {
                failures.Add($"{setting} entry '{name}' is not a peer real name: {error}.");
            }
        }
    }
}
