import { builtInIntegrations } from '@switchboard/catalog';
import { describe, expect, it } from 'vitest';
import { invalidSvgIcon } from './svg-icon.js';

describe('invalidSvgIcon', () => {
  it("accepts the catalog's icons, and numeric character references in text (simple-icons writes Citro&#235;n)", () => {
    expect(builtInIntegrations.filter((definition) => invalidSvgIcon(definition.iconSvg) !== undefined).map((d) => d.type)).toEqual([]);
    expect(invalidSvgIcon('<svg xmlns="http://www.w3.org/2000/svg"><title>Citro&#235;n &#x2013; Aldi S&#252;d</title><path d="M0 0h24v24H0z"/></svg>')).toBeUndefined();
  });

  it.each([
    ['a handler after a slash', '<svg><rect/onclick="alert(1)"/></svg>'],
    ['a handler after a closing quote', '<svg><rect x="1"onclick="alert(1)"/></svg>'],
    ['javascript: spelled with a decimal reference', '<svg><a><animate attributeName="href" values="javas&#99;ript:alert(1)"/></a></svg>'],
    ['javascript: spelled with a hex reference', '<svg><a><set attributeName="xlink:href" to="&#x6A;avascript:alert(1)"/></a></svg>'],
    ['an HTML named reference', '<svg><a><animate attributeName="href" values="javascript&colon;alert(1)"/></a></svg>'],
    ['a CSS @import', '<svg><style>@import "https://tracker.example.com/x.css";</style></svg>'],
    ['an external CSS url()', '<svg><rect style="fill:url(https://tracker.example.com/p.png)"/></svg>'],
  ])('refuses %s', (_name, svg) => {
    expect(invalidSvgIcon(svg)).toBeDefined();
  });

  it('accepts references to its own gradients and the XML entities', () => {
    expect(invalidSvgIcon(`<svg><title>A &amp; B</title><rect fill="url(#g)" style="fill: url( '#g' )"/></svg>`)).toBeUndefined();
  });
});
