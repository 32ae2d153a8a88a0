import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hasCardIssuerShape, isValidIban, isValidSsn, passesLuhn } from './checksums.js';

describe('passesLuhn', () => {
  test('accepts numbers with a correct check digit', () => {
    assert.equal(passesLuhn('4111111111111111'), true);
    assert.equal(passesLuhn('378282246310005'), true);
    assert.equal(passesLuhn('5555555555554444'), true);
  });

  test('refuses a wrong check digit, non-digits and the empty string', () => {
    assert.equal(passesLuhn('4111111111111112'), false);
    assert.equal(passesLuhn('4111 1111 1111 1111'), false);
    assert.equal(passesLuhn(''), false);
  });
});

describe('hasCardIssuerShape', () => {
  test('knows issuer prefixes and their lengths', () => {
    assert.equal(hasCardIssuerShape('4111111111111111'), true); // Visa 16
    assert.equal(hasCardIssuerShape('378282246310005'), true); // Amex 15
    assert.equal(hasCardIssuerShape('2221000000000009'), true); // Mastercard 2-series
    assert.equal(hasCardIssuerShape('41111111111111'), false); // Visa never has 14 digits
    assert.equal(hasCardIssuerShape('3782822463100050'), false); // Amex never has 16 digits
    assert.equal(hasCardIssuerShape('1700000000000'), false); // a millisecond timestamp
  });
});

describe('isValidIban', () => {
  test('accepts a correct IBAN and refuses a changed digit', () => {
    assert.equal(isValidIban('GB82WEST12345698765432'), true);
    assert.equal(isValidIban('DE89370400440532013000'), true);
    assert.equal(isValidIban('GB82WEST12345698765433'), false);
  });

  test('refuses unknown countries and wrong lengths', () => {
    assert.equal(isValidIban('XX82WEST12345698765432'), false);
    assert.equal(isValidIban('DE8937040044053201300'), false);
  });
});

describe('isValidSsn', () => {
  test('accepts issued ranges', () => {
    assert.equal(isValidSsn('123', '45', '6789'), true);
    assert.equal(isValidSsn('899', '01', '0001'), true);
  });

  test('refuses area 000, 666 and 9xx, group 00 and serial 0000', () => {
    assert.equal(isValidSsn('000', '12', '3456'), false);
    assert.equal(isValidSsn('666', '12', '3456'), false);
    assert.equal(isValidSsn('900', '12', '3456'), false);
    assert.equal(isValidSsn('123', '00', '3456'), false);
    assert.equal(isValidSsn('123', '45', '0000'), false);
  });
});
