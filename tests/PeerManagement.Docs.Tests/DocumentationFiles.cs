namespace PeerManagement.Docs.Tests;

/// <summary>The Markdown files a reader copies code from: the README, the package READMEs, docs/ and the samples'.</summary>
public static class DocumentationFiles
{
    private static readonly Lazy<string> Root = new(FindRoot);

    /// <summary>Every C# snippet of those files, in file order.</summary>
    public static IEnumerable<DocSnippet> Snippets()
    {
        var root = Root.Value;
        var files = new[] { Path.Combine(root, "README.md") }
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md"))
            .Concat(Directory.EnumerateDirectories(Path.Combine(root, "src")).Select(d => Path.Combine(d, "README.md")))
            .Concat(Directory.EnumerateDirectories(Path.Combine(root, "samples")).Select(d => Path.Combine(d, "README.md")))
            .Where(File.Exists)
            .Order(StringComparer.Ordinal);
        return files.SelectMany(f => DocSnippet.Read(Path.GetRelativePath(root, f).Replace('\\', '/'), File.ReadAllText(f)));
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PeerManagement.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No PeerManagement.sln above {AppContext.BaseDirectory}");
    }
}
