using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PeerManagement;

/// <summary>Computes the values <see cref="PeerConnectorOptions.CertificatePins"/> takes.</summary>
public static class CertificatePins
{
    /// <summary>The SHA-256 of the certificate's DER encoding, as upper-case hex.</summary>
    /// <param name="certificate">The certificate.</param>
    /// <returns>64 hex digits.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="certificate"/> is <see langword="null"/>.</exception>
    public static string GetCertificateSha256(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexString(SHA256.HashData(certificate.RawDataMemory.Span));
    }

    /// <summary>The SHA-256 of the certificate's public key (its DER SubjectPublicKeyInfo), as upper-case hex; it survives a renewal with the same key.</summary>
    /// <param name="certificate">The certificate.</param>
    /// <returns>64 hex digits.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="certificate"/> is <see langword="null"/>.</exception>
    public static string GetPublicKeySha256(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexString(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>Normalises a pin: hex digits only, upper case; <see langword="null"/> when it is not 64 hex digits.</summary>
    internal static string? Normalize(string pin)
    {
        var hex = pin.Trim().Replace(":", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
        return hex.Length == 64 && hex.All(Uri.IsHexDigit) ? hex : null;
    }

    /// <summary>Splits a comma-separated list of pins.</summary>
    internal static IEnumerable<string> Split(string pins)
        => pins.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
