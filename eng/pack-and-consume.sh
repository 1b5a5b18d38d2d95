#!/usr/bin/env bash
# Packs every package of the solution into a folder feed, checks each has its symbols package, README and
# licence, then builds and runs a small consumer against the packed packages (not the projects).
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
version="0.1.0-consume.$(date +%s)"

dotnet pack PeerManagement.sln -c Release -o "$work/feed" -p:Version="$version" --nologo -v quiet

for package in PeerManagement PeerManagement.Abstractions PeerManagement.AspNetCore PeerManagement.Redis; do
  nupkg="$work/feed/$package.$version.nupkg"
  [ -f "$nupkg" ] || { echo "pack: $nupkg is missing" >&2; exit 1; }
  [ -f "$work/feed/$package.$version.snupkg" ] || { echo "pack: the symbols package of $package is missing" >&2; exit 1; }
  contents=$(unzip -l "$nupkg")
  for file in README.md "lib/net10.0/$package.dll" "lib/net10.0/$package.xml"; do
    grep -q " $file\$" <<<"$contents" || { echo "pack: $package lacks $file" >&2; exit 1; }
  done
  unzip -p "$nupkg" "$package.nuspec" | grep -q '<license type="expression">MIT</license>' || { echo "pack: $package has no MIT licence expression" >&2; exit 1; }
  # Its own README: a package page resolves no link into the repository.
  readme=$(unzip -p "$nupkg" README.md)
  grep -q "^# $package\$" <<<"$readme" || { echo "pack: the README of $package is not its own" >&2; exit 1; }
  if grep -Eq '\]\((\.|/|[a-zA-Z0-9_-]+/)' <<<"$readme"; then echo "pack: the README of $package has a relative link" >&2; exit 1; fi
done

# A private package folder, so the consumer resolves the packed packages and never a cached project build.
cp -r eng/consumer "$work/consumer"
NUGET_PACKAGES="$work/packages" dotnet run --project "$work/consumer/Consumer.csproj" -c Release \
  -p:PeerManagementVersion="$version" -p:RestoreAdditionalProjectSources="$work/feed" --nologo
echo "pack: packages and consumer OK ($version)"
