using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace PeerManagement.Docs.Tests;

/// <summary>
/// Compiles the snippets of one document together (a later snippet may use a type an earlier one declared), each
/// as a method of a <see cref="SnippetContext"/> class in a file of its own, against the assemblies this test runs
/// with: the packages as built now, the shared frameworks. Errors are reported at the Markdown file's lines.
/// </summary>
public static class SnippetCompiler
{
    // What `dotnet new console` and `dotnet new web` put in scope without a using directive.
    private static readonly string[] ConsoleImplicitUsings =
        ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];

    private static readonly string[] WebImplicitUsings =
    [
        .. ConsoleImplicitUsings, "System.Net.Http.Json", "Microsoft.AspNetCore.Builder", "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Http", "Microsoft.AspNetCore.Routing", "Microsoft.Extensions.Configuration",
        "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Logging",
    ];

    // A fragment stands in a file whose usings the text has shown; these are the namespaces the docs rely on.
    private static readonly string[] FragmentUsings =
    [
        .. WebImplicitUsings, "System.Data.Common", "System.Net", "System.Security.Cryptography.X509Certificates",
        "System.Text.Json", "System.Threading.RateLimiting", "Microsoft.Extensions.Options", "OpenTelemetry.Metrics",
        "PeerManagement", "PeerManagement.AspNetCore", "PeerManagement.Redis",
    ];

    private static readonly Lazy<IReadOnlyList<MetadataReference>> References = new(LoadReferences);

    /// <summary>Compiles the snippets of one document and returns, for each snippet, its compile errors.</summary>
    public static IReadOnlyDictionary<DocSnippet, IReadOnlyList<string>> Compile(IReadOnlyList<DocSnippet> snippets)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = snippets.Select((s, i) => CSharpSyntaxTree.ParseText(Wrap(s, i), parse, path: $"{s.Document}#{i}")).ToList();
        var compilation = CSharpCompilation.Create(
            "DocSnippets",
            trees,
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        var errors = compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            .ToLookup(d => d.Location.SourceTree);
        return snippets.Select((s, i) => (s, i)).ToDictionary(
            p => p.s,
            p => (IReadOnlyList<string>)[.. errors[trees[p.i]].Select(Describe)]);
    }

    private static string Wrap(DocSnippet snippet, int index)
    {
        var usings = snippet.IsWholeFile
            ? [.. snippet.Usings.Select(u => u.Trim()[6..].TrimEnd(';').Trim()), .. snippet.IsWeb ? WebImplicitUsings : ConsoleImplicitUsings]
            : FragmentUsings;
        var (statements, statementsLine) = snippet.Statements;
        var (types, typesLine) = snippet.Types;
        var file = snippet.Document.Replace("\"", "", StringComparison.Ordinal);

        var code = new StringBuilder();
        foreach (var name in usings.Distinct(StringComparer.Ordinal))
        {
            code.Append("using ").Append(name).Append(";\n");
        }

        code.Append("namespace DocSnippets;\n")
            .Append("internal sealed class Snippet").Append(index).Append(" : global::PeerManagement.Docs.Tests.SnippetContext\n{\n")
            .Append("    internal async global::System.Threading.Tasks.Task RunAsync()\n    {\n")
            .Append("#line ").Append(statementsLine).Append(" \"").Append(file).Append("\"\n")
            .Append(statements).Append('\n')
            .Append("#line default\n")
            .Append("    }\n}\n")
            .Append("#line ").Append(typesLine).Append(" \"").Append(file).Append("\"\n")
            .Append(types).Append('\n');
        return code.ToString();
    }

    private static string Describe(Diagnostic diagnostic)
    {
        var span = diagnostic.Location.GetMappedLineSpan();
        return $"{span.Path}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}): {diagnostic.Id}: {diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    private static List<MetadataReference> LoadReferences()
    {
        // This test runs with the packages as built and both shared frameworks: exactly what a reader compiles against.
        var paths = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return [.. paths.Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)).Select(p => MetadataReference.CreateFromFile(p))];
    }
}
