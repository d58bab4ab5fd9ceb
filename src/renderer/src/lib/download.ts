/** Saves text as a file through a Blob URL: the renderer has no file system, the browser does the saving. */
export function downloadText(filename: string, text: string, mimeType: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: mimeType }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  // revoke later: revoking at once can cancel the download in some engines
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
