using System.Net;
using Microsoft.Extensions.Options;

namespace PeerManagement;

/// <summary>Checks <see cref="PeerConnectorOptions"/> at start, naming the setting and the value.</summary>
internal sealed class PeerConnectorOptionsValidator : IValidateOptions<PeerConnectorOptions>
{
    public ValidateOptionsResult Validate(string? name, PeerConnectorOptions options)
    {
        var failures = new List<string>();
        if (options.ConnectTimeout <= TimeSpan.Zero)
        {
            failures.Add($"ConnectTimeout ({options.ConnectTimeout}) must be positive.");
        }

        if (options.ProxyConnectTimeout <= TimeSpan.Zero)
        {
            failures.Add($"ProxyConnectTimeout ({options.ProxyConnectTimeout}) must be positive.");
        }

        if (options.LocalAddress is { } local && !IPAddress.TryParse(local, out _))
        {
            failures.Add($"LocalAddress='{local}' is not an IP address.");
        }

        foreach (var pin in options.CertificatePins)
        {
            CheckPin($"CertificatePins", pin, failures);
        }

        foreach (var (host, pins) in options.HostCertificatePins)
        {
            foreach (var pin in CertificatePins.Split(pins ?? string.Empty))
            {
                CheckPin($"HostCertificatePins[{host}]", pin, failures);
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckPin(string setting, string pin, List<string> failures)
    {
        if (CertificatePins.Normalize(pin ?? string.Empty) is null)
        {
            failures.Add($"{setting}='{pin}' is not a SHA-256 in hex (64 hex digits).");
        }
    }
}
