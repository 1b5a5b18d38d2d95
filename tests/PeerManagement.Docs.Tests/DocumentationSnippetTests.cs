namespace PeerManagement.Docs.Tests;

/// <summary>Every C# snippet a reader may copy compiles against the packages as they are now.</summary>
public class DocumentationSnippetTests
{
    private static readonly Lazy<IReadOnlyDictionary<DocSnippet, IReadOnlyList<string>>> Results = new(CompileAll);

    /// <summary>The snippets, by <c>path:line</c>.</summary>
    public static TheoryData<string> Snippets => [.. DocumentationFiles.Snippets().Select(s => s.ToString())];

    [Theory]
    [MemberData(nameof(Snippets))]
    public void Snippet_compiles_as_shown(string snippet)
    {
        var errors = Results.Value.Single(r => r.Key.ToString() == snippet).Value;

        errors.Should().BeEmpty("{0} is copied by readers as it is", snippet);
    }

    [Fact]
    public void Every_document_with_csharp_is_read()
    {
        var documents = DocumentationFiles.Snippets().Select(s => s.Document).Distinct().ToList();

        documents.Should().Contain(["README.md", "docs/discovery.md", "docs/storage.md", "docs/transport.md",
            "docs/rate-limiting.md", "src/PeerManagement/README.md", "src/PeerManagement.AspNetCore/README.md"]);
        DocumentationFiles.Snippets().Should().HaveCountGreaterThanOrEqualTo(20);
    }

    [Fact]
    public void A_snippet_that_does_not_compile_is_reported_at_its_markdown_line()
    {
        var markdown = "Text.\n\n```csharp\nusing PeerManagement;\n\nvar host = PeerHost.Parse(\"a.example\");\nhost.NoSuchMember();\n```\n";
        var snippet = DocSnippet.Read("docs/broken.md", markdown).Single();

        var errors = SnippetCompiler.Compile([snippet])[snippet];

        errors.Should().ContainSingle().Which.Should().StartWith("docs/broken.md(7,").And.Contain("NoSuchMember");
    }

    [Fact]
    public void A_whole_file_snippet_gets_no_using_it_does_not_write()
    {
        var markdown = "```csharp\nusing PeerManagement;\n\nvar services = new ServiceCollection();\n```\n";
        var snippet = DocSnippet.Read("docs/missing-using.md", markdown).Single();

        var errors = SnippetCompiler.Compile([snippet])[snippet];

        errors.Should().ContainSingle().Which.Should().Contain("ServiceCollection", "a console app has no using for it");
    }

    [Fact]
    public void A_later_snippet_may_use_a_type_an_earlier_one_declared()
    {
        var markdown = "```csharp\nusing PeerManagement;\n\npublic sealed class MySource : IBlacklistSource\n{\n" +
            "    public ValueTask<IReadOnlyList<string>> GetEntriesAsync(CancellationToken cancellationToken) => new([]);\n}\n```\n\n" +
            "```csharp\nIBlacklistSource source = new MySource();\n```\n";
        var snippets = DocSnippet.Read("docs/two.md", markdown).ToList();

        var results = SnippetCompiler.Compile(snippets);

        results.Values.Should().AllSatisfy(e => e.Should().BeEmpty());
    }

    private static Dictionary<DocSnippet, IReadOnlyList<string>> CompileAll()
        => DocumentationFiles.Snippets()
            .GroupBy(s => s.Document)
            .SelectMany(g => SnippetCompiler.Compile([.. g]))
            .ToDictionary(p => p.Key, p => p.Value);
}
