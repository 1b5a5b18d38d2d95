namespace PeerManagement;

/// <summary>
/// Which bad verdicts can change with time: a peer whose height is too far from ours, or whose header does not
/// match ours, may catch up or reorganise; a blacklisted one, one of another genesis, or one that breaks the
/// protocol stays bad.
/// </summary>
internal static class BadReasons
{
    /// <summary>The start of the verifier's verdict on a height too far away.</summary>
    public const string WrongHeightPrefix = "its height ";

    /// <summary>The start of the verifier's verdict on a header that does not match ours.</summary>
    public const string HeaderMismatchPrefix = "its header at height ";

    /// <summary>Whether a bad reason may change (and so earns the peer a second chance).</summary>
    public static bool CanChange(string? reason)
        => reason is not null
            && (reason.StartsWith(WrongHeightPrefix, StringComparison.Ordinal) || reason.StartsWith(HeaderMismatchPrefix, StringComparison.Ordinal));
}
