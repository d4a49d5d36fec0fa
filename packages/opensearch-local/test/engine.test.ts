import { describe, expect, it } from 'vitest';
import { isMavenDownload, openSearchVersion } from '../src/index.js';

describe('resolving the node', () => {
  it('pins an OpenSearch of the 2.19 line, the one the CDK domain deploys and Java 17 runs', () => {
    expect(openSearchVersion()).toMatch(/^2\.19\.\d+$/);
  });

  it('counts the downloads Maven reports in batch mode, with or without its level prefix', () => {
    expect(
      isMavenDownload(
        '[INFO] Downloaded from central: https://repo.maven.apache.org/maven2/org/opensearch/opensearch/2.19.6/opensearch-2.19.6.jar (2.1 MB at 5 MB/s)',
      ),
    ).toBe(true);
    expect(isMavenDownload('Downloaded from central: https://repo.maven.apache.org/x.pom')).toBe(
      true,
    );
    expect(
      isMavenDownload('[INFO] Downloading from central: https://repo.maven.apache.org/x.pom'),
    ).toBe(false);
    expect(isMavenDownload('[INFO] BUILD SUCCESS')).toBe(false);
  });
});
